// Plays a two-speaker call into a running gateway at real-time pace (or `speed` times faster):
// over the Twilio Media Streams protocol (20 ms µ-law chunks per track), Genesys AudioHook (20 ms
// interleaved PCMU frames; the call id must be a UUID, as a conversation id is), the native protocol
// or gRPC (20 ms interleaved stereo PCM16 frames). Used by the demo, `voicepulse simulate` and the bench.

import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import WebSocket from 'ws';
import { voicePulseService } from '../proto/load.ts';
import { AudioHookSession, pcmuFrames } from './audiohook-client.ts';
import { CHUNK_SAMPLES, mediaMessages, startMessage, stopMessage, toPcm16 } from './twilio-client.ts';

export interface PlayOptions {
  /** Base URL of the server, e.g. ws://127.0.0.1:8080 (gRPC: host:port). */
  url: string;
  token: string;
  callId: string;
  tenant: string;
  agent?: string;
  queue?: string;
  customer: Float32Array;
  agentAudio: Float32Array;
  /** 1 = real time. */
  speed?: number;
  /**
   * Start this far into the audio (rounded to 20 ms chunks) and play what was skipped at the end:
   * load tests put calls at different points of one conversation. Default 0.
   */
  phaseMs?: number;
  /** Called with the time (performance.now()) the call's first chunk was sent. */
  onStarted?: (t0: number) => void;
  /** Called with each event the server sends back on the call's own stream (native, gRPC). */
  onMessage?: (text: string) => void;
}

export const PROTOCOLS = ['twilio', 'audiohook', 'native', 'grpc'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

interface GrpcEvent {
  envelope: { callId: string; tenantId: string };
  body: 'score' | 'alert' | 'callSummary';
  score?: { speaker: string; windowStartMs: number; windowEndMs: number };
  alert?: unknown;
  callSummary?: { json: string };
}

/** The parts of a gRPC event the players report: type, call and window end. */
function fromGrpcEvent(e: GrpcEvent): string {
  if (e.body === 'callSummary') return e.callSummary!.json;
  if (e.body === 'alert')
    return JSON.stringify({ type: 'alert', callId: e.envelope.callId, ...(e.alert as object) });
  return JSON.stringify({
    type: 'score',
    callId: e.envelope.callId,
    ...e.score,
    speaker: e.score!.speaker === 'SPEAKER_AGENT' ? 'agent' : 'customer',
  });
}

async function playGrpc(
  o: PlayOptions,
  customer: Int16Array,
  agent: Int16Array,
  chunks: number,
  speed: number,
) {
  const Client = voicePulseService();
  const client = new Client(o.url.replace(/^\w+:\/\//, ''), grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${o.token}`);
  const stream = (
    client as unknown as { streamCall(m: grpc.Metadata): grpc.ClientDuplexStream<unknown, GrpcEvent> }
  ).streamCall(metadata);
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (e: GrpcEvent) => o.onMessage?.(fromGrpcEvent(e)));
    stream.on('end', () => resolve());
    stream.on('error', (err) => reject(err));
  });
  stream.write({
    start: {
      callId: o.callId,
      tenant: o.tenant,
      agent: o.agent ?? '',
      queue: o.queue ?? '',
      codec: 'CODEC_PCM16',
      sampleRate: 8000,
      channels: ['SPEAKER_CUSTOMER', 'SPEAKER_AGENT'],
    },
  });
  await paced(
    chunks,
    speed,
    (k) => {
      const frame = new Int16Array(2 * CHUNK_SAMPLES);
      for (let i = 0; i < CHUNK_SAMPLES; i++) {
        frame[2 * i] = customer[k * CHUNK_SAMPLES + i]!;
        frame[2 * i + 1] = agent[k * CHUNK_SAMPLES + i]!;
      }
      stream.write({ chunk: { audio: Buffer.from(frame.buffer) } });
    },
    o.onStarted,
  );
  stream.write({ stop: {} });
  stream.end();
  try {
    await done;
  } finally {
    client.close();
  }
}

async function playAudiohook(o: PlayOptions, customer: Float32Array, agent: Float32Array, speed: number) {
  const session = new AudioHookSession({
    conversationId: o.callId,
    organizationId: randomUUID(),
    tenant: o.tenant,
    agent: o.agent,
    queue: o.queue,
  });
  const ws = new WebSocket(`${o.url}/audiohook`, { headers: session.headers(o.token) });
  const replies = new Map<string, () => void>();
  const reply = (type: string) => new Promise<void>((resolve) => replies.set(type, resolve));
  const openedReply = reply('opened');
  const closedMessage = reply('closed');
  const closed = new Promise<void>((r) => ws.once('close', () => r()));
  let failure: string | undefined;
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const text = data.toString();
    const type = session.received(text);
    if (type === 'disconnect') failure = text;
    replies.get(type)?.();
  });
  await opened(ws);
  ws.send(session.open());
  await Promise.race([openedReply, closed]);
  if (failure || ws.readyState !== ws.OPEN)
    throw new Error(`audiohook open refused: ${failure ?? 'socket closed'}`);
  const frames = pcmuFrames(customer, agent);
  const open = await pacedWhileOpen(
    ws,
    frames.length,
    speed,
    (k) => {
      ws.send(frames[k]!);
      session.advance(20);
    },
    o.onStarted,
  );
  if (open) {
    ws.send(session.close());
    await Promise.race([closedMessage, closed]);
    ws.close(1000, 'call ended');
  }
  await closed;
  if (failure) throw new Error(`audiohook session ended by the server: ${failure}`);
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`server answered HTTP ${res.statusCode}`)),
    );
  });
}

async function paced(
  chunks: number,
  speed: number,
  send: (k: number) => void,
  onStarted?: (t0: number) => void,
) {
  const stepMs = (1000 * CHUNK_SAMPLES) / 8000 / speed;
  const t0 = performance.now();
  onStarted?.(t0);
  for (let k = 0; k < chunks; k++) {
    const due = t0 + k * stepMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    send(k);
  }
}

/** paced() on a socket: chunk k goes at its time while the socket is open; true if it still is after. */
async function pacedWhileOpen(
  ws: WebSocket,
  chunks: number,
  speed: number,
  send: (k: number) => void,
  onStarted?: (t0: number) => void,
): Promise<boolean> {
  await paced(
    chunks,
    speed,
    (k) => {
      if (ws.readyState === ws.OPEN) send(k);
    },
    onStarted,
  );
  return ws.readyState === ws.OPEN;
}

/** The socket's close, as the server gave it. */
function closing(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
}

/** The server was reached but refused or cut the call. */
export class CallClosedError extends Error {
  constructor(
    readonly code: number,
    reason: string,
  ) {
    super(`server closed the call: ${code}${reason ? ` ${reason}` : ''}`);
    this.name = 'CallClosedError';
  }
}

/** A call the server refused or cut (any close but normal or no status) fails, naming the code. */
function endedNormally({ code, reason }: { code: number; reason: string }): void {
  if (code !== 1000 && code !== 1005) throw new CallClosedError(code, reason);
}

/**
 * Streams the call; resolves when the server has closed the socket (or after the stop was sent for
 * Twilio), rejects when the server refused or cut it.
 */
export async function playCall(protocol: Protocol, o: PlayOptions): Promise<void> {
  const speed = o.speed ?? 1;
  const n = Math.max(o.customer.length, o.agentAudio.length);
  const length = Math.ceil(n / CHUNK_SAMPLES) * CHUNK_SAMPLES;
  const start = (Math.round((o.phaseMs ?? 0) / 20) * CHUNK_SAMPLES) % length;
  const pad = (x: Float32Array) => {
    const whole = new Float32Array(length);
    whole.set(x);
    if (start === 0) return whole;
    const out = new Float32Array(length);
    out.set(whole.subarray(start));
    out.set(whole.subarray(0, start), length - start);
    return out;
  };
  const customer = pad(o.customer);
  const agent = pad(o.agentAudio);
  const chunks = customer.length / CHUNK_SAMPLES;
  if (protocol === 'twilio') {
    const ws = new WebSocket(`${o.url}/twilio`);
    await opened(ws);
    const call = {
      callSid: o.callId,
      streamSid: `MZ${o.callId}`,
      params: {
        tenant: o.tenant,
        token: o.token,
        ...(o.agent ? { agent: o.agent } : {}),
        ...(o.queue ? { queue: o.queue } : {}),
      },
    };
    const closed = closing(ws);
    ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    ws.send(startMessage(call));
    const inbound = mediaMessages(call, 'inbound', customer);
    const outbound = mediaMessages(call, 'outbound', agent);
    const open = await pacedWhileOpen(
      ws,
      chunks,
      speed,
      (k) => {
        ws.send(inbound[k]!);
        ws.send(outbound[k]!);
      },
      o.onStarted,
    );
    if (open) ws.send(stopMessage(call));
    ws.close(1000, 'call ended');
    endedNormally(await closed);
    return;
  }
  if (protocol === 'grpc') return playGrpc(o, toPcm16(customer), toPcm16(agent), chunks, speed);
  if (protocol === 'audiohook') return playAudiohook(o, customer, agent, speed);
  const ws = new WebSocket(`${o.url}/stream`, { headers: { authorization: `Bearer ${o.token}` } });
  await opened(ws);
  const closed = closing(ws);
  ws.on('message', (data, isBinary) => {
    if (!isBinary) o.onMessage?.(data.toString());
  });
  ws.send(
    JSON.stringify({
      type: 'start',
      callId: o.callId,
      tenant: o.tenant,
      agent: o.agent ?? null,
      queue: o.queue ?? null,
      codec: 'pcm16',
      sampleRate: 8000,
      channels: ['customer', 'agent'],
    }),
  );
  const c16 = toPcm16(customer);
  const a16 = toPcm16(agent);
  const open = await pacedWhileOpen(
    ws,
    chunks,
    speed,
    (k) => {
      const frame = new Int16Array(2 * CHUNK_SAMPLES);
      for (let i = 0; i < CHUNK_SAMPLES; i++) {
        frame[2 * i] = c16[k * CHUNK_SAMPLES + i]!;
        frame[2 * i + 1] = a16[k * CHUNK_SAMPLES + i]!;
      }
      ws.send(frame);
    },
    o.onStarted,
  );
  if (open) ws.send(JSON.stringify({ type: 'stop' }));
  endedNormally(await closed);
}
