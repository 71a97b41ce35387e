// StreamCall, WatchAlerts and WatchCall over a real HTTP/2 connection on loopback, with the
import type { ScoreEvent } from '../../../core/events/schema.ts';
// recording backend (no model): every request type and error path of the gRPC protocol.

import { createRequire } from 'node:module';
import { connect as tcpConnect } from 'node:net';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProto, voicePulseService } from '../../../proto/load.ts';
import { type GrpcServer, startGrpcServer, toProtoEvent } from './grpc.ts';
import { ACME_TOKEN, fakeEvent, OPERATOR_TOKEN, type TestIngress, testIngress } from './testing/fakes.ts';
import { collect } from './testing/grpc.ts';

interface FileDescriptor {
  name: string;
  package: string;
  dependency: string[];
  messageType: {
    name: string;
    field: { name: string; typeName: string }[];
    nestedType: { name: string }[];
  }[];
}

interface Ev {
  envelope: { callId: string; tenantId: string };
  body: string;
  alert?: { rule: string };
  score?: {
    explanation?: { emotion: string; segments: { startMs: string; endMs: string; weight: number }[] };
  };
  callSummary?: { json: string };
}
interface Client extends grpc.Client {
  streamCall(m: grpc.Metadata): grpc.ClientDuplexStream<unknown, Ev>;
  watchCall(req: object, m: grpc.Metadata): grpc.ClientReadableStream<Ev>;
  watchAlerts(req: object, m: grpc.Metadata): grpc.ClientReadableStream<Ev>;
}

let ingress: TestIngress;
let server: GrpcServer;
let client: Client;
beforeAll(async () => {
  ingress = testIngress({ idleTimeoutMs: 300, maxConcurrentCalls: 3 });
  server = await startGrpcServer(ingress.ctx, '127.0.0.1', 0);
  const Service = voicePulseService();
  client = new Service(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as Client;
});
afterAll(async () => {
  client.close();
  await server.close();
});

const auth = (token: string | null = OPERATOR_TOKEN) => {
  const m = new grpc.Metadata();
  if (token !== null) m.set('authorization', `Bearer ${token}`);
  return m;
};
const start = (callId: string, over: object = {}) => ({
  start: {
    callId,
    tenant: 'acme',
    agent: 'agent-1',
    queue: '',
    codec: 'CODEC_PCM16',
    sampleRate: 8000,
    channels: ['SPEAKER_CUSTOMER', 'SPEAKER_AGENT'],
    ...over,
  },
});
const pcm = (...v: number[]) => ({ chunk: { audio: Buffer.from(Int16Array.from(v).buffer) } });

function open(metadata = auth()) {
  const stream = client.streamCall(metadata);
  return { stream, ...collect(stream) };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

/** The status a stream ends with after `requests`. */
async function statusAfter(requests: object[], metadata = auth()) {
  const s = open(metadata);
  for (const r of requests) s.stream.write(r);
  const err = await s.done;
  s.stream.cancel();
  return err && { code: grpc.status[err.code], details: err.details };
}

describe('gRPC StreamCall', () => {
  it('names the customer by StartCall.customer, when given', async () => {
    for (const [callId, over, customerId] of [
      ['cust-1', { customer: '+15551230000' }, '+15551230000'],
      ['cust-2', {}, undefined],
    ] as const) {
      const s = open();
      s.stream.write(start(callId, over));
      s.stream.write({ stop: {} });
      await until(() => ingress.backend.ended.includes(callId));
      expect(ingress.backend.started.find((m) => m.callId === callId)?.customerId).toBe(customerId);
      ingress.emit(fakeEvent(callId, 'call_summary'));
      await s.done;
    }
    const envelopeOf = (e: object) =>
      (toProtoEvent(e as never) as { envelope: { customerId: string } }).envelope;
    expect(envelopeOf({ ...fakeEvent('x', 'score'), customerId: 'cust-1' }).customerId).toBe('cust-1');
    expect(envelopeOf(fakeEvent('x', 'score')).customerId).toBe('');
  });

  it('start, chunks, stop: audio per channel; the call’s events come back and the stream ends after the summary', async () => {
    const s = open();
    s.stream.write(start('s1'));
    s.stream.write(pcm(1, -1, 2, -2));
    s.stream.write({ stop: {} });
    await until(() => ingress.backend.ended.includes('s1'));
    expect(ingress.backend.started.at(-1)).toEqual({
      callId: 's1',
      tenantId: 'acme',
      agentId: 'agent-1',
      queue: null,
    });
    expect(Array.from(ingress.backend.samples('s1', 'customer'), (v) => v * 32768)).toEqual([1, 2]);
    expect(Array.from(ingress.backend.samples('s1', 'agent'), (v) => v * 32768)).toEqual([-1, -2]);
    ingress.emit(fakeEvent('s1', 'score'));
    ingress.emit(fakeEvent('s1', 'alert'));
    ingress.emit(fakeEvent('s1', 'call_summary'));
    expect(await s.done).toBeNull();
    expect(s.events.map((e) => e.body)).toEqual(['score', 'alert', 'callSummary']);
    expect(JSON.parse(s.events[2]!.callSummary!.json).type).toBe('call_summary');
  });

  it('carries a score’s explanation, and none where the score has none', async () => {
    const s = open();
    s.stream.write(start('x1'));
    await until(() => ingress.backend.started.some((c) => c.callId === 'x1'));
    const explanation = {
      emotion: 'angry' as const,
      segments: [
        { startMs: 0, endMs: 200, weight: 0.125 },
        { startMs: 200, endMs: 400, weight: -0.5 },
      ],
    };
    const score = fakeEvent('x1', 'score') as ScoreEvent;
    ingress.emit({ ...score, eventId: 'x1:a', explanation });
    ingress.emit({ ...score, eventId: 'x1:b' });
    ingress.emit(fakeEvent('x1', 'call_summary'));
    s.stream.write({ stop: {} });
    expect(await s.done).toBeNull();
    const [explained, plain] = s.events.filter((e) => e.body === 'score');
    expect(explained!.score!.explanation!.emotion).toBe('angry');
    expect(
      explained!.score!.explanation!.segments.map((g) => [Number(g.startMs), Number(g.endMs), g.weight]),
    ).toEqual([
      [0, 200, 0.125],
      [200, 400, -0.5],
    ]);
    expect(plain!.score!.explanation ?? null).toBeNull();
  });

  it('a half-close ends the call’s audio like stop', async () => {
    const s = open();
    s.stream.write(start('s2'));
    s.stream.end();
    await until(() => ingress.backend.ended.includes('s2'));
    expect(ingress.backend.ended).toContain('s2');
    ingress.emit(fakeEvent('s2', 'call_summary'));
    expect(await s.done).toBeNull();
  });

  it('refuses each kind of bad request with the status of the error table', async () => {
    expect(await statusAfter([start('e1')], auth(null))).toEqual({
      code: 'UNAUTHENTICATED',
      details: 'missing or wrong token',
    });
    expect((await statusAfter([start('e1')], auth('wrong')))?.code).toBe('UNAUTHENTICATED');
    expect((await statusAfter([start('e2', { tenant: 'globex' })], auth(ACME_TOKEN)))?.code).toBe(
      'PERMISSION_DENIED',
    );
    expect((await statusAfter([start('e3', { codec: 'CODEC_UNSPECIFIED' })]))?.code).toBe('INVALID_ARGUMENT');
    expect((await statusAfter([start('e4', { codec: 'CODEC_MULAW', sampleRate: 16000 })]))?.code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await statusAfter([start('e5', { channels: ['SPEAKER_UNSPECIFIED'] })]))?.code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await statusAfter([start('')]))?.details).toMatch(/^invalid start: start.call_id: /);
    expect((await statusAfter([start('e6', { sampleRate: 96000 })]))?.code).toBe('INVALID_ARGUMENT');
    expect((await statusAfter([{}]))?.code).toBe('INVALID_ARGUMENT');
    expect(await statusAfter([pcm(1, 2)])).toEqual({
      code: 'FAILED_PRECONDITION',
      details: 'audio before start',
    });
    expect(await statusAfter([{ stop: {} }])).toEqual({
      code: 'FAILED_PRECONDITION',
      details: 'stop before start',
    });
    expect((await statusAfter([start('e7'), start('e7')]))?.code).toBe('FAILED_PRECONDITION');
    expect((await statusAfter([start('e8'), { chunk: { audio: Buffer.alloc(3) } }]))?.code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await count('grpc', 'bad-frame')).toBe(1);
  });

  it('refuses a duplicate call, calls past the limit, and all calls while scoring is unavailable', async () => {
    const held = [open(), open(), open()];
    for (const [i, h] of held.entries()) h.stream.write(start(`held-${i}`));
    await until(() => ingress.ctx.calls.size === 3);
    expect((await statusAfter([start('held-0')]))?.code).toBe('ALREADY_EXISTS');
    expect((await statusAfter([start('one-more')]))?.code).toBe('RESOURCE_EXHAUSTED');
    for (const h of held) h.stream.cancel();
    await until(() => ingress.ctx.calls.size === 0);
    ingress.backend.failure = 'no model';
    try {
      expect((await statusAfter([start('down')]))?.code).toBe('UNAVAILABLE');
    } finally {
      ingress.backend.failure = null;
    }
  });

  it('a client that stops reading: the oldest events are dropped, the newest and the summary arrive', async () => {
    const s = open();
    s.stream.pause();
    s.stream.write(start('slow'));
    s.stream.write({ stop: {} });
    await until(() => ingress.backend.ended.includes('slow'));
    const dropped = () => ingress.count('voicepulse_watch_dropped_messages_total');
    const before = await dropped();
    const offered = 20_000;
    for (let i = 0; i < offered; i++) ingress.emit({ ...fakeEvent('slow', 'score'), eventId: `e${i}` });
    ingress.emit(fakeEvent('slow', 'call_summary'));
    expect(await dropped()).toBeGreaterThan(before + offered / 2);
    s.stream.resume();
    expect(await s.done).toBeNull();
    const received = s.events.map((e) => (e as Ev & { envelope: { eventId: string } }).envelope.eventId);
    expect(received.at(-1)).toBe('slow:call_summary');
    // What arrives after the stall is the newest events, in order.
    expect(received.at(-2)).toBe(`e${offered - 1}`);
    expect(received.length).toBeLessThan(offered / 2);
  });

  it('ends a stream that sends nothing for the idle timeout with ABORTED, not the caller’s DEADLINE_EXCEEDED', async () => {
    const s = open();
    s.stream.write(start('idle'));
    const status = await s.done;
    expect(status?.code).toBe(grpc.status.ABORTED);
    expect(status?.details).toMatch(/^no message for 300 ms/);
    expect(ingress.backend.ended).toContain('idle');
  });
});

describe('gRPC watchers', () => {
  it('WatchAlerts: the tenant’s alerts, filtered by agent; WatchCall: every event of one call', async () => {
    const alerts = collect(client.watchAlerts({ tenant: 'acme', agent: 'agent-7' }, auth(ACME_TOKEN)));
    const call = collect(client.watchCall({ callId: 'w1' }, auth()));
    await new Promise((r) => setTimeout(r, 100));
    ingress.ctx.hub.publish(fakeEvent('w1', 'score'));
    ingress.ctx.hub.publish(fakeEvent('w1', 'alert', { agentId: 'agent-7' }));
    ingress.ctx.hub.publish(fakeEvent('w2', 'alert', { agentId: 'agent-8' }));
    ingress.ctx.hub.publish(fakeEvent('w3', 'alert', { agentId: 'agent-7', tenantId: 'globex' }));
    await until(() => call.events.length === 2 && alerts.events.length === 1);
    expect(alerts.events.map((e) => [e.envelope.callId, e.body])).toEqual([['w1', 'alert']]);
    expect(call.events.map((e) => e.body)).toEqual(['score', 'alert']);
  });

  it('WatchCall completes after the call’s summary (not at the client’s deadline)', async () => {
    const { events, done } = collect(client.watchCall({ callId: 'w9' }, auth()));
    const ended = done.then((status) => (status ? grpc.status[status.code] : 'end'));
    await new Promise((r) => setTimeout(r, 50));
    ingress.ctx.hub.publish(fakeEvent('w9', 'score'));
    ingress.ctx.hub.publish(fakeEvent('w9', 'call_summary'));
    expect(await ended).toBe('end');
    expect(events.map((e) => e.body)).toEqual(['score', 'callSummary']);
  });

  it('refuses a missing target (named as the proto names it), a wrong token and another tenant', async () => {
    const details = (await collect(client.watchCall({}, auth())).done)!;
    expect(details.details).toBe('call_id is required');
    const code = async (stream: grpc.ClientReadableStream<Ev>) =>
      grpc.status[(await collect(stream).done)!.code];
    expect(await code(client.watchAlerts({}, auth()))).toBe('INVALID_ARGUMENT');
    expect(await code(client.watchCall({}, auth()))).toBe('INVALID_ARGUMENT');
    expect(await code(client.watchCall({ callId: 'w1' }, auth('wrong')))).toBe('UNAUTHENTICATED');
    expect(await code(client.watchAlerts({ tenant: 'globex' }, auth(ACME_TOKEN)))).toBe('PERMISSION_DENIED');
  });
});

const count = (path: string, reason: string) =>
  ingress.count('voicepulse_ws_rejections_total', { path, reason });

describe('gRPC conventions', () => {
  const health = grpc.loadPackageDefinition(
    protoLoader.loadSync(healthProtoPath, { enums: String }),
  ) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const reflectionProto = join(
    dirname(createRequire(import.meta.url).resolve('@grpc/reflection')),
    '../proto/grpc/reflection/v1/reflection.proto',
  );
  const reflection = grpc.loadPackageDefinition(protoLoader.loadSync(reflectionProto)) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  const address = () => `127.0.0.1:${server.port}`;

  it('grpc.health.v1.Health: Check and Watch say SERVING, and NOT_SERVING while scoring is unavailable', async () => {
    const h = new health.grpc.health.v1.Health(
      address(),
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      check(r: object, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
      watch(r: object): grpc.ClientReadableStream<{ status: string }>;
    };
    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        h.check({ service }, (err, r) => (err ? reject(err) : resolve(r.status))),
      );
    expect(await check('')).toBe('SERVING');
    expect(await check('voicepulse.v1.VoicePulse')).toBe('SERVING');
    await expect(check('no.such.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    const watched: string[] = [];
    const w = h.watch({ service: '' });
    w.on('data', (r: { status: string }) => watched.push(r.status));
    w.on('error', () => {});
    ingress.backend.failure = 'model did not load';
    try {
      await until(() => watched.includes('NOT_SERVING'));
      expect(await check('')).toBe('NOT_SERVING');
    } finally {
      ingress.backend.failure = null;
    }
    await until(() => watched.at(-1) === 'SERVING');
    expect(watched).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    w.cancel();
    h.close();
  }, 10_000);

  it('server reflection lists the services and describes them (what grpcurl list/describe reads)', async () => {
    const r = new reflection.grpc.reflection.v1.ServerReflection(
      address(),
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      serverReflectionInfo(): grpc.ClientDuplexStream<
        object,
        Record<string, { service?: { name: string }[]; fileDescriptorProto?: Buffer[] }>
      >;
    };
    const ask = (request: object) =>
      new Promise<Record<string, { service?: { name: string }[]; fileDescriptorProto?: Buffer[] }>>(
        (resolve, reject) => {
          const call = r.serverReflectionInfo();
          call.on('data', (d) => {
            resolve(d);
            call.end();
          });
          call.on('error', reject);
          call.write(request);
        },
      );
    const listed = await ask({ listServices: '' });
    expect(listed.listServicesResponse?.service?.map((s) => s.name).sort()).toEqual(
      ['grpc.health.v1.Health', 'voicepulse.v1.VoicePulse'].sort(),
    );
    const described = await ask({ fileContainingSymbol: 'voicepulse.v1.VoicePulse' });
    const files = described.fileDescriptorResponse?.fileDescriptorProto ?? [];
    expect(files.length).toBeGreaterThan(0);
    expect(Buffer.concat(files).toString('latin1')).toContain('StreamCall');
    r.close();
  });

  it('serves descriptors as protoc writes them: proto field names, map entries, qualified references, dependencies', async () => {
    const query = loadProto('query.proto') as unknown as {
      voicepulse: { query: { v1: { Query: grpc.ServiceClientConstructor } } };
    };
    const s = await startGrpcServer(testIngress().ctx, '127.0.0.1', 0, [
      { service: query.voicepulse.query.v1.Query.service, implementation: {} },
    ]);
    const r = new reflection.grpc.reflection.v1.ServerReflection(
      `127.0.0.1:${s.port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      serverReflectionInfo(): grpc.ClientDuplexStream<
        object,
        { fileDescriptorResponse?: { fileDescriptorProto: Buffer[] } }
      >;
    };
    const filesOf = (symbol: string) =>
      new Promise<FileDescriptor[]>((resolve, reject) => {
        const call = r.serverReflectionInfo();
        call.on('data', (d) => {
          resolve(
            (d.fileDescriptorResponse?.fileDescriptorProto ?? []).map(
              (b: Buffer) => descriptor.FileDescriptorProto.decode(b) as unknown as FileDescriptor,
            ),
          );
          call.end();
        });
        call.on('error', reject);
        call.write({ fileContainingSymbol: symbol });
      });
    const message = (files: FileDescriptor[], name: string) =>
      files.flatMap((f) => f.messageType).find((m) => m.name === name);
    try {
      const vp = await filesOf('voicepulse.v1.WatchCallRequest');
      expect(message(vp, 'WatchCallRequest')?.field.map((f) => f.name)).toEqual(['call_id']);
      const health = await filesOf('grpc.health.v1.HealthListResponse');
      const list = message(health, 'HealthListResponse');
      expect(list?.nestedType.map((n) => n.name)).toEqual(['StatusesEntry']);
      expect(list?.field[0]?.typeName).toBe('.grpc.health.v1.HealthListResponse.StatusesEntry');
      const q = await filesOf('voicepulse.query.v1.Query');
      const point = message(q, 'TimelinePoint');
      expect(point?.field.find((f) => f.name === 'probs')?.typeName).toBe('.voicepulse.v1.EmotionProbs');
      const queryFile = q.find((f) => f.package === 'voicepulse.query.v1');
      const emotionsFile = q.find((f) => f.messageType.some((m) => m.name === 'EmotionProbs'));
      expect(queryFile?.dependency).toContain(emotionsFile?.name);
    } finally {
      r.close();
      await s.close();
    }
  });
});

describe('gRPC connections', () => {
  const tcp = (port: number) => {
    const socket = tcpConnect(port, '127.0.0.1');
    const closedAt = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    socket.on('error', () => {});
    socket.resume();
    return { socket, closedAt };
  };

  it('cuts off a connection that never starts HTTP/2 by the auth deadline, and one that never calls when idle', async () => {
    const t = testIngress({ authTimeoutMs: 200, idleTimeoutMs: 400 });
    const s = await startGrpcServer(t.ctx, '127.0.0.1', 0);
    try {
      const start = Date.now();
      const raw = tcp(s.port);
      const preface = tcp(s.port);
      preface.socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      preface.socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])); // an empty SETTINGS frame
      expect((await raw.closedAt) - start).toBeLessThan(1500);
      expect((await preface.closedAt) - start).toBeLessThan(3000);
      expect(await t.count('voicepulse_ws_rejections_total', { path: 'grpc', reason: 'auth-timeout' })).toBe(
        1,
      );
    } finally {
      await s.close();
    }
  });

  it('refuses connections past the global and per-address caps, and frees the slot when one closes', async () => {
    const t = testIngress({ maxConnections: 5, maxConnectionsPerAddress: 2 });
    const s = await startGrpcServer(t.ctx, '127.0.0.1', 0);
    try {
      const a = tcp(s.port);
      const b = tcp(s.port);
      await until(() => t.ctx.connections.open === 2);
      const c = tcp(s.port);
      await c.closedAt;
      expect(
        await t.count('voicepulse_ws_rejections_total', { path: 'grpc', reason: 'connection-limit' }),
      ).toBe(1);
      a.socket.destroy();
      await until(() => t.ctx.connections.open === 1);
      const d = tcp(s.port);
      await until(() => t.ctx.connections.open === 2);
      expect(t.ctx.connections.open).toBe(2);
      b.socket.destroy();
      d.socket.destroy();
    } finally {
      await s.close();
    }
  });
});
