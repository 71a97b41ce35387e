// The folder of upload jobs (VOICEPULSE_RECORDINGS_DIR), shared by every live process that mounts
// it: the pods of deploy/k8s on one ReadWriteMany volume, or one `serve` across its restarts. Each
// process keeps its jobs in `owners/<owner>` (owner: its pod id) and marks the folder alive by
// touching `owners/<owner>/.alive` every `heartbeatMs`; a process that stops cleanly removes the mark.
// Adoption: a process takes over the folder of an owner whose mark is gone or older than `staleMs`
// (stopped, crashed, or rescheduled under a new pod name) by renaming it into `adopting/<itself>/`,
// then moves its files into its own folder. A rename is atomic, so exactly one adopter gets a folder;
// `adopting/<owner>/` belongs to its owner as its own folder does, so what an adopter that died
// mid-way held is adopted with the rest of its work. A folder is made under `new/` with its mark and
// renamed into place, so no adopter sees it unmarked. Any process reads every folder's job records,
// so a job's status is answered by whichever pod a request reaches.
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface SpoolOptions {
  /** The shared folder (created if absent). */
  root: string;
  /** This process's name among those sharing the folder (the pod id): names its folder. */
  owner: string;
  /** How often this process marks its folder alive (default 10 s). */
  heartbeatMs?: number;
  /** A mark older than this is a stopped owner's (default 60 s: well above a pause of the event loop). */
  staleMs?: number;
  now?: () => number;
}

const MARK = '.alive';

export class Spool {
  /** This process's folder: where its jobs' records and audio are. */
  readonly dir: string;
  private readonly owners: string;
  private readonly adopting: string;
  private readonly staleMs: number;
  private readonly now: () => number;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly options: SpoolOptions) {
    this.owners = join(options.root, 'owners');
    this.adopting = join(options.root, 'adopting');
    this.dir = join(this.owners, options.owner);
    this.staleMs = options.staleMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Makes this owner's folder (or takes back the one a previous run under its name left) and marks it alive. */
  open(): void {
    for (const d of [this.owners, this.adopting, join(this.options.root, 'new')])
      mkdirSync(d, { recursive: true });
    const fresh = join(this.options.root, 'new', randomUUID());
    mkdirSync(fresh);
    writeFileSync(join(fresh, MARK), '');
    try {
      renameSync(fresh, this.dir);
    } catch {
      // Ours from before a restart under the same name, with that run's jobs: marked again, unless
      // another process adopted it meanwhile (then the fresh one takes its place).
      try {
        writeFileSync(join(this.dir, MARK), '');
        this.mark();
      } catch {
        renameSync(fresh, this.dir);
      }
      rmSync(fresh, { recursive: true, force: true });
    }
    this.heartbeat = setInterval(() => {
      try {
        this.mark();
      } catch {
        // Adopted meanwhile (this process was paused past staleMs): its jobs run elsewhere now.
      }
    }, this.options.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
  }

  /**
   * Takes over the folders of owners that stopped and moves their files into this one; returns the
   * names of the job records moved.
   */
  async adopt(): Promise<string[]> {
    const mine = join(this.adopting, this.options.owner);
    const taken: string[] = [];
    for (const owner of await readdir(this.owners)) {
      if (owner === this.options.owner || !(await this.stopped(join(this.owners, owner)))) continue;
      taken.push(join(this.owners, owner));
    }
    for (const owner of await readdir(this.adopting)) {
      if (owner === this.options.owner || (await this.alive(owner))) continue;
      for (const folder of await readdir(join(this.adopting, owner)).catch(() => []))
        taken.push(join(this.adopting, owner, folder));
    }
    const records: string[] = [];
    if (taken.length > 0) await mkdir(mine, { recursive: true });
    for (const from of taken) {
      const held = join(mine, randomUUID());
      try {
        await rename(from, held);
      } catch {
        continue; // another process adopted it first
      }
      // A job's record and audio; the mark and a record half-written when its owner died stay behind.
      for (const file of await readdir(held)) {
        if (!file.endsWith('.json') && !file.endsWith('.audio')) continue;
        await rename(join(held, file), join(this.dir, file));
        if (file.endsWith('.json')) records.push(file);
      }
      await rm(held, { recursive: true, force: true });
    }
    await rmdir(mine).catch(() => {});
    return records;
  }

  /** Job `id`'s record (as stored) from any owner's folder; undefined when none holds it. */
  async read(id: string): Promise<string | undefined> {
    const file = `${id}.json`;
    const folders = [
      ...(await readdir(this.owners)).map((o) => join(this.owners, o)),
      ...(
        await Promise.all(
          (
            await readdir(this.adopting)
          ).map(async (o) =>
            (await readdir(join(this.adopting, o)).catch(() => [])).map((f) => join(this.adopting, o, f)),
          ),
        )
      ).flat(),
    ];
    for (const folder of folders) {
      const text = await readFile(join(folder, file), 'utf8').catch(() => undefined);
      if (text !== undefined) return text;
    }
    return undefined;
  }

  /** Stops marking the folder alive and removes the mark: another process may adopt what is left. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await rm(join(this.dir, MARK), { force: true });
  }

  private mark(): void {
    const at = new Date(this.now());
    utimesSync(join(this.dir, MARK), at, at);
  }

  private async alive(owner: string): Promise<boolean> {
    return !(await this.stopped(join(this.owners, owner)));
  }

  /** Whether the owner of `folder` stopped: no mark (or no folder), or a mark older than staleMs. */
  private async stopped(folder: string): Promise<boolean> {
    const marked = await stat(join(folder, MARK)).catch(() => undefined);
    return !marked || this.now() - marked.mtimeMs > this.staleMs;
  }
}
