import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Spool } from './spool.ts';

describe('the recordings spool shared by live processes', () => {
  const roots: string[] = [];
  const spools: Spool[] = [];
  afterAll(async () => {
    for (const s of spools) await s.close();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  const root = () => {
    const r = mkdtempSync(join(tmpdir(), 'vp-spool-'));
    roots.push(r);
    return r;
  };
  const open = (r: string, owner: string, staleMs = 60_000) => {
    const s = new Spool({ root: r, owner, staleMs });
    s.open();
    spools.push(s);
    return s;
  };
  /** Puts `n` jobs (record and audio) in `folder`; returns their ids. */
  const jobs = (folder: string, n: number) =>
    Array.from({ length: n }, () => {
      const id = randomUUID();
      writeFileSync(join(folder, `${id}.json`), JSON.stringify({ id }));
      writeFileSync(join(folder, `${id}.audio`), id);
      return id;
    });
  const files = (folder: string) => readdirSync(folder).filter((f) => f !== '.alive');

  it("leaves a live owner's jobs alone and adopts those of one that stopped or went silent", async () => {
    const r = root();
    const live = open(r, 'pod-live');
    const stopped = open(r, 'pod-stopped');
    const silent = open(r, 'pod-silent');
    const liveJobs = jobs(live.dir, 2);
    const stoppedJobs = jobs(stopped.dir, 2);
    const silentJobs = jobs(silent.dir, 1);
    await stopped.close();
    // The silent one's last mark is two minutes old: it crashed, or its node went away.
    const past = new Date(Date.now() - 120_000);
    utimesSync(join(silent.dir, '.alive'), past, past);
    const adopter = open(r, 'pod-new');
    const moved = await adopter.adopt();
    expect(moved.sort()).toEqual([...stoppedJobs, ...silentJobs].map((id) => `${id}.json`).sort());
    expect(files(adopter.dir).sort()).toEqual(
      [...stoppedJobs, ...silentJobs].flatMap((id) => [`${id}.audio`, `${id}.json`]).sort(),
    );
    expect(files(live.dir).length).toBe(2 * liveJobs.length);
    expect(readdirSync(join(r, 'owners')).sort()).toEqual(['pod-live', 'pod-new']);
    expect(await adopter.adopt()).toEqual([]);
  });

  it('takes its own folder back after a restart under the same name, stopped cleanly or not', async () => {
    const r = root();
    const first = open(r, 'pod-a');
    const ids = jobs(first.dir, 2);
    await first.close();
    const again = open(r, 'pod-a');
    expect(files(again.dir).length).toBe(2 * ids.length);
    expect(readdirSync(again.dir)).toContain('.alive');
    // Marked alive again: another process leaves it alone.
    expect(await open(r, 'pod-b').adopt()).toEqual([]);
    const third = open(r, 'pod-a');
    expect(files(third.dir).length).toBe(2 * ids.length);
    expect(readdirSync(join(r, 'new'))).toEqual([]);
  });

  it('gives each job of a stopped owner to exactly one of the processes adopting at once', async () => {
    const r = root();
    const dead = ['pod-1', 'pod-2', 'pod-3'].map((o) => open(r, o));
    const ids = dead.flatMap((d) => jobs(d.dir, 20));
    for (const d of dead) await d.close();
    const adopters = ['pod-a', 'pod-b', 'pod-c'].map((o) => open(r, o));
    const moved = await Promise.all(adopters.map((a) => a.adopt()));
    expect(moved.flat().sort()).toEqual(ids.map((id) => `${id}.json`).sort());
    // Each job's audio went with its record.
    for (const a of adopters) {
      const held = files(a.dir);
      for (const f of held.filter((x) => x.endsWith('.json')))
        expect(held).toContain(f.replace('.json', '.audio'));
    }
    expect(readdirSync(join(r, 'adopting'))).toEqual([]);
  });

  it('adopts what an adopter held when it died half-way, and reads a job from any folder', async () => {
    const r = root();
    const s = open(r, 'pod-a');
    // pod-x took over a folder, then died before moving its files (its own folder went with it).
    const held = join(r, 'adopting', 'pod-x', randomUUID());
    mkdirSync(held, { recursive: true });
    const [orphan] = jobs(held, 1);
    const other = open(r, 'pod-b');
    const [elsewhere] = jobs(other.dir, 1);
    expect(JSON.parse((await s.read(orphan!)) ?? 'null')).toEqual({ id: orphan });
    expect(JSON.parse((await s.read(elsewhere!)) ?? 'null')).toEqual({ id: elsewhere });
    expect(await s.read(randomUUID())).toBeUndefined();
    expect(await s.adopt()).toEqual([`${orphan}.json`]);
    expect(files(s.dir).sort()).toEqual([`${orphan}.audio`, `${orphan}.json`]);
    expect(JSON.parse((await other.read(orphan!)) ?? 'null')).toEqual({ id: orphan });
  });
});
