// Plays a two-speaker call into a running gateway at real-time pace (or `speed` times faster):
// over the Twilio Media Streams protocol (20 ms µ-law chunks per track) or the native protocol
// (20 ms interleaved stereo PCM16 frames). Used by the demo, `voicepulse simulate` and the bench.
import WebSocket from 'ws';
import {
  CHUNK_SAMPLES,
  mediaMessages,
  startMessage,
  stopMessage,
  toPcm16,
} from '../gateway/twilio-client.ts';

export interface PlayOptions {
  /** Base URL of the server, e.g. ws://127.0.0.1:8080 */
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
  /** Called with the time (performance.now()) the call's first chunk was sent. */
  onStarted?: (t0: number) => void;
  /** Called with each text message the server sends on this socket (native protocol). */
  onMessage?: (text: string) => void;
}

export type Protocol = 'twilio' | 'native';

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

/** Streams the call; resolves when the server has closed the socket (or after the stop was sent for Twilio). */
export async function playCall(protocol: Protocol, o: PlayOptions): Promise<void> {
  const speed = o.speed ?? 1;
  const n = Math.max(o.customer.length, o.agentAudio.length);
  const pad = (x: Float32Array) => {
    const out = new Float32Array(Math.ceil(n / CHUNK_SAMPLES) * CHUNK_SAMPLES);
    out.set(x);
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
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    ws.send(startMessage(call));
    const inbound = mediaMessages(call, 'inbound', customer);
    const outbound = mediaMessages(call, 'outbound', agent);
    await paced(
      chunks,
      speed,
      (k) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(inbound[k]!);
        ws.send(outbound[k]!);
      },
      o.onStarted,
    );
    if (ws.readyState === ws.OPEN) ws.send(stopMessage(call));
    ws.close(1000, 'call ended');
    await closed;
    return;
  }
  const ws = new WebSocket(`${o.url}/stream`, { headers: { authorization: `Bearer ${o.token}` } });
  await opened(ws);
  const closed = new Promise<void>((r) => ws.once('close', () => r()));
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
  await paced(
    chunks,
    speed,
    (k) => {
      if (ws.readyState !== ws.OPEN) return;
      const frame = new Int16Array(2 * CHUNK_SAMPLES);
      for (let i = 0; i < CHUNK_SAMPLES; i++) {
        frame[2 * i] = c16[k * CHUNK_SAMPLES + i]!;
        frame[2 * i + 1] = a16[k * CHUNK_SAMPLES + i]!;
      }
      ws.send(frame);
    },
    o.onStarted,
  );
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'stop' }));
  await closed;
}
