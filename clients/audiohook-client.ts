// The client side of Genesys AudioHook v2, as the players speak it: the upgrade headers, the text
// messages (open, close, ping) with their sequence numbers and stream position, and audio as
// interleaved PCMU frames (external = customer, internal = agent). Conversation, organization,
// participant and session ids are UUIDs, as Genesys sends them; tenant, agent and queue travel in
// `customConfig`. A session that continues another (a reconnect, to this pod or another) names it in
// `continuedSessions` and starts at the position the stream had reached.
import { randomUUID } from 'node:crypto';
import { encodeUlaw } from '../core/audio/g711.ts';
import { CHUNK_SAMPLES, toPcm16 } from './twilio-client.ts';

export interface AudioHookCall {
  conversationId: string;
  organizationId: string;
  tenant: string;
  agent?: string | undefined;
  queue?: string | undefined;
}

/** One AudioHook session (one WebSocket) of a call. */
export class AudioHookSession {
  readonly id = randomUUID();
  private seq = 0;
  /** The server's last seq we saw. */
  serverSeq = 0;

  constructor(
    private readonly call: AudioHookCall,
    /** Position of the stream when this session starts (ms): non-zero for a continuation. */
    private positionMs = 0,
  ) {}

  /** The upgrade's headers; the token goes as X-API-KEY, as Genesys sends its API key. */
  headers(token: string): Record<string, string> {
    return {
      'audiohook-organization-id': this.call.organizationId,
      'audiohook-correlation-id': randomUUID(),
      'audiohook-session-id': this.id,
      'x-api-key': token,
    };
  }

  /** Counts audio sent (ms), for the position of the next message. */
  advance(ms: number): void {
    this.positionMs += ms;
  }

  get position(): number {
    return this.positionMs;
  }

  open(continued?: { id: string; serverseq: number; clientseq: number }): string {
    const { call } = this;
    return this.message('open', {
      organizationId: call.organizationId,
      conversationId: call.conversationId,
      participant: { id: randomUUID(), ani: '+15550100', aniName: 'caller', dnis: '+15550199' },
      media: [{ type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 }],
      customConfig: {
        tenant: call.tenant,
        ...(call.agent ? { agent: call.agent } : {}),
        ...(call.queue ? { queue: call.queue } : {}),
      },
      ...(continued ? { continuedSessions: [continued] } : {}),
    });
  }

  close(reason: 'end' | 'reconnect' = 'end'): string {
    return this.message('close', { reason });
  }

  /** What a continuing session names this one by. */
  continuation(): { id: string; serverseq: number; clientseq: number } {
    return { id: this.id, serverseq: this.serverSeq, clientseq: this.seq };
  }

  /** Notes a server message's seq (for serverseq); returns its type. */
  received(text: string): string {
    const m = JSON.parse(text) as { type?: string; seq?: number };
    if (typeof m.seq === 'number') this.serverSeq = m.seq;
    return m.type ?? '';
  }

  private message(type: string, parameters: Record<string, unknown>): string {
    return JSON.stringify({
      version: '2',
      id: this.id,
      type,
      seq: ++this.seq,
      serverseq: this.serverSeq,
      position: `PT${(this.positionMs / 1000).toFixed(3)}S`,
      parameters,
    });
  }
}

/** 20 ms frames of interleaved PCMU (customer, agent): what an AudioHook client streams. */
export function pcmuFrames(customer: Float32Array, agent: Float32Array): Uint8Array[] {
  const c = encodeUlaw(toPcm16(customer));
  const a = encodeUlaw(toPcm16(agent));
  const frames: Uint8Array[] = [];
  for (let i = 0; i < c.length; i += CHUNK_SAMPLES) {
    const frame = new Uint8Array(2 * CHUNK_SAMPLES);
    for (let j = 0; j < CHUNK_SAMPLES; j++) {
      frame[2 * j] = c[i + j] ?? 0xff;
      frame[2 * j + 1] = a[i + j] ?? 0xff;
    }
    frames.push(frame);
  }
  return frames;
}
