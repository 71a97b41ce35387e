import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../core/clickhouse/migrations.ts';
import type { RecordingReport } from '../../../core/recordings/report.ts';
import { callWav, syntheticCall } from '../../../core/recordings/testing/audio.ts';
import { embeddedClickHouse, type OpenedClickHouse } from '../../../test/testing/clickhouse.ts';
import { clickhouseRecordingStore } from '../../sink/recording-store.ts';
import { callTimeline } from '../query/queries.ts';
import { QueryRateLimiter } from '../query/ratelimit.ts';
import { processRecording, type RecordingInput } from './batch.ts';
import { createRecordingsApi } from './http.ts';
import { JobQueue } from './jobs.ts';
import { energyPool } from './testing/pool.ts';

const OPERATOR = 'operator-token-0123456789';
const ACME = 'acme-token-0123456789abcdef';
const GLOBEX = 'globex-token-0123456789abcd';
const auth = { operatorToken: OPERATOR, tenantTokens: { acme: ACME, globex: GLOBEX } };
const wav = callWav(syntheticCall(20, { seed: 2 }));

async function serve(handle: (req: never, res: never) => Promise<boolean>) {
  const server: Server = createServer(async (req, res) => {
    if (!(await handle(req as never, res as never))) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { server, base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

const post = (base: string, token: string, query: string, body: Uint8Array) =>
  fetch(`${base}/api/recordings${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/wav' },
    body,
  });
const status = async (base: string, token: string, id: string) =>
  fetch(`${base}/api/recordings/${id}`, { headers: { authorization: `Bearer ${token}` } });

/** The job files of a spool folder (its mark of life aside). */
const jobFiles = (dir: string) => readdirSync(dir).filter((f) => f !== '.alive');

async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('recording uploads', () => {
  const dirs: string[] = [];
  const spool = () => {
    const d = mkdtempSync(join(tmpdir(), 'vp-jobs-'));
    dirs.push(d);
    return d;
  };
  let opened: OpenedClickHouse;
  const pool = energyPool();
  const servers: Server[] = [];
  beforeAll(async () => {
    opened = await embeddedClickHouse('vp-jobs')();
    await migrate(opened.ch);
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    await pool.close();
    await opened.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const analyse = (input: RecordingInput, roles: object) =>
    processRecording(input, { pool, store: clickhouseRecordingStore(opened.ch), policies: {}, roles });

  it('accepts an upload with 202 and a job id, and the job survives a restart of the server', async () => {
    const dir = spool();
    // The first server's jobs never finish: it "dies" with one running and one queued (and its last
    // mark of life is never renewed).
    const stuck = new JobQueue({
      dir,
      owner: 'pod-a',
      heartbeatMs: 3_600_000,
      process: () => new Promise<RecordingReport>(() => {}),
    });
    stuck.start();
    const first = await serve(
      createRecordingsApi({ queue: stuck, auth, limiter: new QueryRateLimiter() }).handle,
    );
    servers.push(first.server);
    const a = await post(first.base, ACME, '?callId=up-1&agent=a-1&startedAt=2024-03-05T10:00:00Z', wav);
    expect(a.status).toBe(202);
    const job = (await a.json()) as { id: string; status: string; tenant: string };
    expect(job).toMatchObject({ status: 'queued', tenant: 'acme' });
    expect(a.headers.get('location')).toBe(`/api/recordings/${job.id}`);
    const b = (await (await post(first.base, ACME, '?callId=up-2', wav)).json()) as { id: string };
    await until(
      async () =>
        ((await (await status(first.base, ACME, job.id)).json()) as { status: string }).status === 'running',
    );
    expect(((await (await status(first.base, ACME, b.id)).json()) as { status: string }).status).toBe(
      'queued',
    );

    // The restarted server, under a new pod name, adopts the dead one's folder and finishes both.
    const restarted = new JobQueue({ dir, owner: 'pod-b', staleMs: 200, adoptEveryMs: 50, process: analyse });
    restarted.start();
    const second = await serve(
      createRecordingsApi({ queue: restarted, auth, limiter: new QueryRateLimiter() }).handle,
    );
    servers.push(second.server);
    for (const id of [job.id, b.id])
      await until(
        async () =>
          ((await (await status(second.base, ACME, id)).json()) as { status: string }).status === 'done',
      );
    const done = (await (await status(second.base, ACME, job.id)).json()) as Record<string, unknown>;
    expect(done).toMatchObject({ status: 'done', callId: 'up-1', error: null });
    expect((done.report as RecordingReport).durationS).toBe(20);
    const timeline = await callTimeline(opened.ch, 'acme', 'up-1');
    expect(timeline?.summary?.startedAtMs).toBe(Date.parse('2024-03-05T10:00:00Z'));
    // Finished jobs keep their record, not their audio.
    const folders = () => readdirSync(join(dir, 'owners'));
    await until(async () => folders().length === 1);
    expect(folders()).toEqual(['pod-b']);
    await until(
      async () => readdirSync(join(dir, 'owners', 'pod-b')).filter((f) => f.endsWith('.audio')).length === 0,
    );
    await restarted.close();
  });

  it('removes a record write cut by a crash (its temporary file) at start and keeps the job', async () => {
    const dir = spool();
    const first = new JobQueue({
      dir,
      owner: 'pod-a',
      process: () => new Promise<RecordingReport>(() => {}),
    });
    first.start();
    const { id, audioPath } = first.newUpload();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(audioPath, wav);
    await first.submit(id, { tenantId: 't', bytes: wav.length, given: {}, roles: {} });
    const own = join(dir, 'owners', 'pod-a');
    // Its last record write (the job running) is on disk before the crash is staged.
    await until(async () => {
      const { readFile } = await import('node:fs/promises');
      const onDisk = await readFile(join(own, `${id}.json`), 'utf8').catch(() => '{}');
      return (
        (JSON.parse(onDisk) as { status?: string }).status === 'running' &&
        !readdirSync(own).some((f) => f.endsWith('.tmp'))
      );
    });
    // A job's first record write cut before its rename: no record, only the temporary file.
    await writeFile(join(own, 'cut-upload.json.tmp'), '{"cut":');
    const again = new JobQueue({ dir, owner: 'pod-a', process: analyse });
    again.start();
    await until(async () => (await again.get(id))?.status === 'done');
    await again.close();
    // The cut write is gone. (Not "no temporary file at all": the queue's own record writes make one
    // for a moment each, and CI once listed the folder during the last.)
    expect(readdirSync(own)).not.toContain('cut-upload.json.tmp');
    expect(readdirSync(own)).toContain(`${id}.json`);
  });

  it('runs at most `concurrency` jobs at once', async () => {
    let now = 0;
    let most = 0;
    const dir = spool();
    const queue = new JobQueue({
      dir,
      owner: 'pod-a',
      concurrency: 2,
      process: async (input) => {
        most = Math.max(most, ++now);
        await new Promise((r) => setTimeout(r, 30));
        now--;
        return { status: 'analysed', callId: input.file } as RecordingReport;
      },
    });
    queue.start();
    const ids = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const { id } = queue.newUpload();
        const { writeFile } = await import('node:fs/promises');
        await writeFile(join(dir, 'owners', 'pod-a', `${id}.audio`), wav);
        await queue.submit(id, { tenantId: 't', bytes: wav.length, given: {}, roles: {} });
        return id;
      }),
    );
    await until(async () =>
      (await Promise.all(ids.map((id) => queue.get(id)))).every((job) => job?.status === 'done'),
    );
    expect(most).toBe(2);
  });

  it('keeps the newest finished jobs only, in memory and on disk', async () => {
    const root = spool();
    const dir = join(root, 'owners', 'pod-a');
    const queue = new JobQueue({
      dir: root,
      owner: 'pod-a',
      keepFinished: 2,
      process: async (input) => ({ status: 'analysed', callId: input.file }) as RecordingReport,
    });
    queue.start();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { id, audioPath } = queue.newUpload();
      const { writeFile } = await import('node:fs/promises');
      await writeFile(audioPath, wav);
      await queue.submit(id, { tenantId: 't', bytes: wav.length, given: {}, roles: {} });
      await until(
        async () => (await queue.get(id))?.status === 'done' && jobFiles(dir).length === Math.min(i + 1, 2),
      );
      ids.push(id);
    }
    const statuses = async (q: JobQueue) => Promise.all(ids.map(async (id) => (await q.get(id))?.status));
    expect(await statuses(queue)).toEqual([undefined, undefined, 'done', 'done']);
    expect(jobFiles(dir).sort()).toEqual(
      ids
        .slice(2)
        .map((id) => `${id}.json`)
        .sort(),
    );
    // A restart reads back the two it kept.
    const again = new JobQueue({
      dir: root,
      owner: 'pod-a',
      keepFinished: 2,
      process: async () => ({}) as RecordingReport,
    });
    again.start();
    expect(await statuses(again)).toEqual([undefined, undefined, 'done', 'done']);
  });

  it('keeps the query API’s auth, tenant isolation, size and rate limits', async () => {
    const dir = spool();
    const queue = new JobQueue({ dir, owner: 'pod-a', process: analyse, maxQueued: 100 });
    queue.start();
    const limiter = new QueryRateLimiter({ burst: 6, ratePerSecond: 0.001 });
    const { server, base } = await serve(
      createRecordingsApi({ queue, auth, limiter, maxBytes: 50_000 }).handle,
    );
    servers.push(server);
    const small = wav.subarray(0, 40_000);
    expect((await post(base, 'wrong-token-0123456789', '', small)).status).toBe(401);
    expect((await post(base, ACME, '?tenant=globex', small)).status).toBe(403);
    expect((await post(base, ACME, '?startedAt=yesterday', small)).status).toBe(400);
    expect((await post(base, ACME, '', wav)).status).toBe(413);
    // Without a Content-Length the stream is cut at the limit.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/recordings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ACME}`, 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.write(wav.subarray(0, 30_000));
      req.end(wav.subarray(30_000, 60_000));
    });
    expect(chunked).toBe(413);
    expect(readdirSync(join(dir, 'owners', 'pod-a')).filter((f) => f.endsWith('.audio'))).toEqual([]);
    const ok = await post(base, ACME, '', small);
    expect(ok.status).toBe(202);
    const { id } = (await ok.json()) as { id: string };
    expect((await status(base, GLOBEX, id)).status).toBe(404);
    expect((await status(base, OPERATOR, id)).status).toBe(200);
    // The operator's budget: six requests, then 429 with Retry-After.
    for (let i = 0; i < 5; i++) await status(base, OPERATOR, id);
    const limited = await status(base, OPERATOR, id);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    await until(async () => !['queued', 'running'].includes((await queue.get(id))?.status ?? ''));
    await queue.close();
  });
});
