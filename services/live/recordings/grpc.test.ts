import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingReport } from '../../../core/recordings/report.ts';
import { callWav, syntheticCall } from '../../../core/recordings/testing/audio.ts';
import { QueryRateLimiter } from '../query/ratelimit.ts';
import { recordingsGrpcImplementation, recordingsService } from './grpc.ts';
import { JobQueue } from './jobs.ts';

const ACME = 'acme-token-0123456789abcdef';
const GLOBEX = 'globex-token-0123456789abcd';
const auth = { tenantTokens: { acme: ACME, globex: GLOBEX } };
const wav = callWav(syntheticCall(4, { seed: 1 }));

type Client = grpc.Client & {
  uploadRecording: (...args: unknown[]) => unknown;
  getRecordingJob: (...args: unknown[]) => unknown;
};

describe('recording uploads over gRPC', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vp-grpc-jobs-'));
  const seen: string[] = [];
  const queue = new JobQueue({
    dir,
    owner: 'pod-a',
    process: async (input) => {
      seen.push(`${input.given.tenantId}/${input.given.callId} ${input.bytes.length}`);
      return { status: 'analysed', callId: input.given.callId ?? 'x' } as RecordingReport;
    },
  });
  const server = new grpc.Server();
  let client: Client;
  beforeAll(async () => {
    queue.start();
    server.addService(
      recordingsService().service,
      recordingsGrpcImplementation({ queue, auth, limiter: new QueryRateLimiter(), maxBytes: 100_000 }),
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const Ctor = recordingsService();
    client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Client;
  });
  afterAll(async () => {
    client.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const meta = (token: string) => {
    const m = new grpc.Metadata();
    m.set('authorization', `Bearer ${token}`);
    return m;
  };
  const upload = (token: string, messages: object[]) =>
    new Promise<{ err: grpc.ServiceError | null; job?: Record<string, unknown> }>((resolve) => {
      const stream = client.uploadRecording(
        meta(token),
        (err: grpc.ServiceError | null, job: Record<string, unknown>) => resolve({ err, job }),
      ) as grpc.ClientWritableStream<object>;
      for (const m of messages) stream.write(m);
      stream.end();
    });
  const get = (token: string, id: string) =>
    new Promise<{ err: grpc.ServiceError | null; job?: Record<string, unknown> }>((resolve) =>
      client.getRecordingJob(
        { id },
        meta(token),
        (err: grpc.ServiceError | null, job: Record<string, unknown>) => resolve({ err, job }),
      ),
    );
  const chunks = (bytes: Uint8Array, size: number) =>
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => ({
      audio: Buffer.from(bytes.subarray(i * size, (i + 1) * size)),
    }));

  it('streams metadata then audio into a queued job, and reports it done', async () => {
    const { err, job } = await upload(ACME, [
      { metadata: { callId: 'g-1', startedAt: '2024-03-05T10:00:00Z' } },
      ...chunks(wav, 10_000),
    ]);
    expect(err).toBeNull();
    expect(job).toMatchObject({ status: 'queued', tenant: 'acme', bytes: wav.length });
    const id = job!.id as string;
    for (let i = 0; i < 100 && (await get(ACME, id)).job?.status !== 'done'; i++)
      await new Promise((r) => setTimeout(r, 20));
    const done = await get(ACME, id);
    expect(done.job).toMatchObject({ status: 'done', callId: 'g-1' });
    expect(seen).toEqual([`acme/g-1 ${wav.length}`]);
    expect((await get(GLOBEX, id)).err?.code).toBe(grpc.status.NOT_FOUND);
  });

  it('refuses as REST does, with the gRPC codes', async () => {
    const code = async (token: string, messages: object[]) => (await upload(token, messages)).err?.code;
    expect(await code('wrong-token-0123456789', [{ metadata: {} }, { audio: Buffer.from(wav) }])).toBe(
      grpc.status.UNAUTHENTICATED,
    );
    expect(await code(ACME, [{ audio: Buffer.from(wav) }])).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await code(ACME, [{ metadata: { tenant: 'globex' } }, { audio: Buffer.from(wav) }])).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    expect(await code(ACME, [{ metadata: { startedAt: 'soon' } }, { audio: Buffer.from(wav) }])).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    const big = callWav(syntheticCall(10, { seed: 2 }));
    expect(await code(ACME, [{ metadata: {} }, ...chunks(big, 30_000)])).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await code(ACME, [{ metadata: {} }])).toBe(grpc.status.INVALID_ARGUMENT);
  });
});
