// The queue of uploaded recordings (POST /api/recordings). Each job is two files in this process's
// folder of the spool (spool.ts): `<id>.audio` (the upload, written first) and `<id>.json` (its
// record, replaced atomically by rename at every change of state), so a job the server accepted
// survives a restart: at start the folder is read back, and jobs that were queued — or running when
// the process stopped — are queued again (analysis is idempotent, so a rerun stores nothing twice).
// The jobs of a process that stopped (another pod, or this one before a restart under a new name) are
// adopted from the spool at start and every `adoptEveryMs`, and run here the same way. At most
// `concurrency` jobs run at once and at most `maxQueued` wait; the audio of a finished job is deleted,
// its record kept (the newest `keepFinished` records: older ones are deleted, so the folder and
// memory stay bounded).
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { idSchema } from '../../../core/calls/meta.ts';
import { SPEAKER_ROLES } from '../../../core/events/schema.ts';
import type { RecordingReport } from '../../../core/recordings/report.ts';
import type { RoleOptions } from '../../../core/recordings/roles.ts';
import type { RecordingInput } from './batch.ts';
import { Spool, type SpoolOptions } from './spool.ts';

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed'] as const;

const jobSchema = z.strictObject({
  id: z.uuid(),
  tenantId: idSchema,
  status: z.enum(JOB_STATUSES),
  createdAtMs: z.number().int().nonnegative(),
  updatedAtMs: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  given: z.strictObject({
    callId: idSchema.optional(),
    agentId: idSchema.optional(),
    queue: idSchema.optional(),
    startedAtMs: z.number().int().optional(),
  }),
  roles: z.strictObject({
    customerChannel: z.enum(['left', 'right']).optional(),
    monoSpeaker: z.enum(SPEAKER_ROLES).optional(),
  }),
  /** Set when done (or skipped as already stored): the call the recording became. */
  callId: idSchema.nullable(),
  /** Done: what analyze reports for the call; failed: null. */
  report: z.unknown().nullable(),
  error: z.string().nullable(),
});
export type RecordingJob = z.infer<typeof jobSchema>;

export interface JobQueueOptions extends Pick<SpoolOptions, 'owner' | 'heartbeatMs' | 'staleMs'> {
  /** The spool folder (created if absent), shared with other processes that mount it. */
  dir: string;
  /** How often the jobs of stopped processes are looked for (default 30 s). */
  adoptEveryMs?: number;
  /** Analyses one recording (batch.ts processRecording with the server's pool and store). */
  process: (input: RecordingInput, roles: RoleOptions) => Promise<RecordingReport>;
  /** Jobs analysed at once (default 1). */
  concurrency?: number;
  /** Jobs waiting at most (default 1000): more are refused (503) until some finish. */
  maxQueued?: number;
  /** Finished jobs whose status stays readable (default 10,000); the oldest go first. */
  keepFinished?: number;
  now?: () => number;
  /** A job record that cannot be read or written (reported, not fatal). */
  onError?: (err: Error) => void;
}

export type SubmitError = 'QUEUE_FULL' | 'CLOSED';

export class JobQueue {
  private readonly jobs = new Map<string, RecordingJob>();
  private readonly waiting: string[] = [];
  /** Finished job ids, oldest first. */
  private readonly finished: string[] = [];
  private running = 0;
  private closed = false;
  private readonly idle = new Set<() => void>();
  private readonly concurrency: number;
  private readonly maxQueued: number;
  private readonly now: () => number;
  private readonly spool: Spool;
  private adopting: NodeJS.Timeout | undefined;

  constructor(private readonly options: JobQueueOptions) {
    this.concurrency = options.concurrency ?? 1;
    this.maxQueued = options.maxQueued ?? 1000;
    this.now = options.now ?? Date.now;
    this.spool = new Spool({ ...options, root: options.dir });
  }

  /**
   * Reads this process's folder back and starts on what was queued or interrupted, then adopts
   * (now and every adoptEveryMs) the jobs of processes that stopped.
   */
  start(): void {
    this.spool.open();
    const names = readdirSync(this.spool.dir);
    // A record write cut by a crash leaves its temporary file; the record before it is intact.
    for (const name of names) if (name.endsWith('.tmp')) rmSync(join(this.spool.dir, name), { force: true });
    this.recover(names.filter((name) => name.endsWith('.json')));
    const adopt = () =>
      this.spool.adopt().then(
        (names) => this.recover(names),
        (err: Error) => this.options.onError?.(err),
      );
    void adopt();
    this.adopting = setInterval(adopt, this.options.adoptEveryMs ?? 30_000);
    this.adopting.unref();
  }

  /** Queues the jobs whose records (`names` in this process's folder) were queued or interrupted. */
  private recover(names: readonly string[]): void {
    const recovered: RecordingJob[] = [];
    for (const name of names) {
      try {
        recovered.push(jobSchema.parse(JSON.parse(readFileSync(join(this.spool.dir, name), 'utf8'))));
      } catch (err) {
        this.options.onError?.(new Error(`unreadable job record ${name}: ${(err as Error).message}`));
      }
    }
    recovered.sort((a, b) => a.createdAtMs - b.createdAtMs);
    for (const job of recovered) {
      if (job.status === 'running') job.status = 'queued';
      this.jobs.set(job.id, job);
      if (job.status === 'queued') this.waiting.push(job.id);
      else this.finished.push(job.id);
    }
    this.forgetOldest().catch((err: Error) => this.options.onError?.(err));
    this.pump();
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** A job as its tenant may see it, this process's or another's in the spool; undefined when absent. */
  async get(id: string): Promise<RecordingJob | undefined> {
    const here = this.jobs.get(id);
    if (here) return here;
    if (!z.uuid().safeParse(id).success) return undefined;
    const text = await this.spool.read(id);
    try {
      return text === undefined ? undefined : jobSchema.parse(JSON.parse(text));
    } catch {
      return undefined;
    }
  }

  /** Whether a new job would be accepted now. */
  accepting(): SubmitError | undefined {
    if (this.closed) return 'CLOSED';
    return this.waiting.length >= this.maxQueued ? 'QUEUE_FULL' : undefined;
  }

  /** A file path for an upload in progress; `submit` it, or `discard` it. */
  newUpload(): { id: string; audioPath: string } {
    const id = randomUUID();
    return { id, audioPath: this.audioPath(id) };
  }

  async discard(id: string): Promise<void> {
    await rm(this.audioPath(id), { force: true });
  }

  /** Queues an upload whose audio is at newUpload's path; returns the job as accepted. */
  async submit(
    id: string,
    job: Pick<RecordingJob, 'tenantId' | 'given' | 'roles' | 'bytes'>,
  ): Promise<RecordingJob> {
    const now = this.now();
    const record: RecordingJob = {
      id,
      ...job,
      status: 'queued',
      createdAtMs: now,
      updatedAtMs: now,
      callId: null,
      report: null,
      error: null,
    };
    await this.save(record);
    const accepted = { ...record };
    this.jobs.set(id, record);
    this.waiting.push(id);
    this.pump();
    return accepted;
  }

  /** Stops starting jobs and waits for the running ones (a job cut short runs again after a restart). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.adopting);
    if (this.running > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
    await this.spool.close();
  }

  private audioPath(id: string): string {
    return join(this.spool.dir, `${id}.audio`);
  }

  private async save(job: RecordingJob): Promise<void> {
    const path = join(this.spool.dir, `${job.id}.json`);
    await writeFile(`${path}.tmp`, JSON.stringify(job));
    await rename(`${path}.tmp`, path);
  }

  private pump(): void {
    while (!this.closed && this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.jobs.get(this.waiting.shift()!)!;
      this.running++;
      this.run(job)
        .catch((err: Error) => this.options.onError?.(err))
        .finally(() => {
          this.running--;
          if (this.running === 0) for (const resolve of this.idle) resolve();
          this.pump();
        });
    }
  }

  private async run(job: RecordingJob): Promise<void> {
    await this.update(job, { status: 'running' });
    let bytes: Buffer;
    try {
      bytes = await readFile(this.audioPath(job.id));
    } catch (err) {
      await this.update(job, {
        status: 'failed',
        error: `the upload's audio is gone: ${(err as Error).message}`,
      });
      return;
    }
    const report = await this.options.process(
      {
        file: job.id,
        bytes,
        given: { ...job.given, tenantId: job.tenantId },
        modifiedAtMs: job.createdAtMs,
      },
      job.roles,
    );
    // Closed meanwhile: leave the record as running so the next start queues it again.
    if (this.closed && report.status === 'failed' && /pool closed/.test(report.reason ?? '')) return;
    await this.update(
      job,
      report.status === 'failed'
        ? { status: 'failed', error: report.reason, callId: report.callId }
        : { status: 'done', callId: report.callId, report },
    );
    await rm(this.audioPath(job.id), { force: true });
    this.finished.push(job.id);
    await this.forgetOldest();
  }

  private async forgetOldest(): Promise<void> {
    const keep = this.options.keepFinished ?? 10_000;
    while (this.finished.length > keep) {
      const id = this.finished.shift()!;
      this.jobs.delete(id);
      await rm(join(this.spool.dir, `${id}.json`), { force: true });
    }
  }

  private async update(job: RecordingJob, change: Partial<RecordingJob>): Promise<void> {
    Object.assign(job, change, { updatedAtMs: this.now() });
    await this.save(job);
  }
}
