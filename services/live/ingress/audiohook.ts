// Genesys Cloud AudioHook protocol v2 (server side) over a call session, following Genesys's
// reference server (purecloudlabs/audiohook-reference-implementation, ServerSessionImpl) where the
// protocol leaves room:
//  - Upgrade: `Audiohook-Session-Id` (a UUID), `Audiohook-Organization-Id` and
//    `Audiohook-Correlation-Id` are required (HTTP 400). `X-API-KEY` names the client: an API key of
//    VOICEPULSE_AUDIOHOOK_CREDENTIALS must come with a valid HTTP Message Signature made with its
//    client secret (core/auth/audiohook.ts, HTTP 401 otherwise) and is that tenant's; any other key
//    is judged as a token (core/auth).
//  - Text messages {version:'2', id, type, seq, serverseq, position, parameters}: `id` is the
//    session id of the upgrade, `seq` counts up by one, `serverseq` never runs ahead of ours
//    (BAD_SEQ). The client sends open, ping, paused, resumed, discarded, update, error, close; we
//    answer opened, pong, updated, closed, or disconnect.
//  - State: preparing → active ⇄ paused → closing. `open` outside preparing, `paused` outside
//    active and `resumed` outside paused are ignored (counted), as the reference does. Audio is
//    accepted only while active: audio while paused or after close is a protocol error.
//  - `open`: organizationId must equal the header's; the first offered PCMU/L16 8 kHz format is
//    selected (none offered: opened with no media and no call); `supportedLanguages: true` is
//    answered with the languages we transcribe, none. We never ask for startPaused or discardTo.
//    A connection probe (conversation or participant id all zeros) is answered and never becomes
//    a call. `continuedSessions` takes over the call of a session of the same conversation still
//    streaming, or parked after its socket dropped or closed for a reconnect (RECONNECT_GRACE_MS);
//    a session it names that this pod never had (another pod's, dead or drained) makes the call go
//    on here under its conversation id from the open's `position` on its timeline.
//  - Timeline: audio frames plus the spans `discarded` and `resumed` report, placed at their
//    `start` and bounded by the message's `position` (and, in the session, by wall-clock time);
//    both are the call summary's `holdMs` (neither speaker's silence), and the time paused (held)
//    is also in the call's log line at the end.
//  - Errors: `disconnect` {reason: unauthorized|error, info}, then the close transaction: the
//    client's `close` is answered with `closed` before the socket closes (CallSession).
// Binary messages are audio, channels interleaved in the order of the selected format
// (external = customer, internal = agent).
import { z } from 'zod';
import { headerValue, signatureProblem } from '../../../core/auth/audiohook.ts';
import { authenticate } from '../../../core/auth/tokens.ts';
import { detailOf } from '../../../core/errors.ts';
import type { SpeakerRole } from '../../../core/events/schema.ts';
import { bytesPerSample, type Codec } from './codec.ts';
import { IngressError, type IngressErrorCode } from './errors.ts';
import { type ProtocolAdapter, parseMessage, type UpgradeAuth, type UpgradeRequest } from './messages.ts';
import type { CallSession, IngressContext } from './session.ts';

const UUID =
  /^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000)$/;
export const NULL_UUID = '00000000-0000-0000-0000-000000000000';

const uuid = z.string().regex(UUID, 'must be a UUID');
const duration = z.string().regex(/^PT(?:\d*\.)?\d+S$/, 'must be an ISO 8601 duration in seconds (PTn.nS)');
const mediaParameter = z.object({
  type: z.literal('audio'),
  format: z.enum(['PCMU', 'L16']),
  channels: z
    .array(z.enum(['external', 'internal']))
    .min(1)
    .max(2),
  rate: z.literal(8000),
});
type MediaParameter = z.infer<typeof mediaParameter>;
const base = {
  version: z.literal('2'),
  id: uuid,
  seq: z.number().int().positive(),
  serverseq: z.number().int().nonnegative(),
  position: duration,
};
const gap = z.object({ start: duration, discarded: duration });
const audiohookMessage = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('open'),
    parameters: z.object({
      organizationId: uuid,
      conversationId: uuid,
      participant: z.object({ id: uuid, ani: z.string(), aniName: z.string(), dnis: z.string() }),
      media: z.array(mediaParameter),
      language: z
        .string()
        .regex(/^[a-z]{2,3}-[A-Za-z]{2,3}$/)
        .optional(),
      supportedLanguages: z.boolean().optional(),
      continuedSessions: z
        .array(
          z.object({
            id: uuid,
            serverseq: z.number().int().nonnegative(),
            clientseq: z.number().int().nonnegative(),
          }),
        )
        .optional(),
      customConfig: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
  z.object({ ...base, type: z.literal('ping'), parameters: z.object({ rtt: duration.optional() }) }),
  z.object({ ...base, type: z.literal('paused'), parameters: z.object({}) }),
  z.object({ ...base, type: z.literal('resumed'), parameters: gap }),
  z.object({ ...base, type: z.literal('discarded'), parameters: gap }),
  z.object({ ...base, type: z.literal('update'), parameters: z.object({ language: z.string().optional() }) }),
  z.object({
    ...base,
    type: z.literal('error'),
    parameters: z.object({
      code: z.number().int().min(400).max(9999),
      message: z.string(),
      retryAfter: duration.optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('close'),
    parameters: z.object({ reason: z.enum(['end', 'error', 'disconnect', 'reconnect']) }),
  }),
]);
type AudioHookMessage = z.infer<typeof audiohookMessage>;

const FORMATS: Record<MediaParameter['format'], Codec> = { PCMU: 'mulaw', L16: 'pcm16' };
const CHANNEL_SPEAKER: Record<'external' | 'internal', SpeakerRole> = {
  external: 'customer',
  internal: 'agent',
};
/** Failures that AudioHook's `disconnect` reports as `unauthorized` rather than `error`. */
const UNAUTHORIZED: ReadonlySet<IngressErrorCode> = new Set([
  'UNAUTHORIZED',
  'AUTH_TIMEOUT',
  'TENANT_FORBIDDEN',
]);

function ms(d: string): number {
  return Number(d.slice(2, -1)) * 1000;
}

/** A customConfig value usable as an id, else null. */
function configId(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= 128 ? v : null;
}

/** Authenticates an /audiohook upgrade (see the header): principal, or the HTTP status refusing it. */
export function audiohookUpgrade(ctx: IngressContext, req: UpgradeRequest): UpgradeAuth {
  const sessionId = headerValue(req.headers, 'audiohook-session-id');
  if (!sessionId || !UUID.test(sessionId))
    return { status: 400, message: 'missing or invalid Audiohook-Session-Id header' };
  for (const name of ['audiohook-organization-id', 'audiohook-correlation-id'])
    if (!headerValue(req.headers, name)) return { status: 400, message: `missing ${name} header` };
  const apiKey = headerValue(req.headers, 'x-api-key');
  const credential = apiKey ? ctx.auth.audiohookCredentials?.[apiKey] : undefined;
  if (apiKey && credential) {
    const problem = signatureProblem(req, apiKey, credential.secret, ctx.audiohook.nonces);
    if (problem) return { status: 401, message: `signature verification failed: ${problem}` };
    return { principal: { kind: 'tenant', tenantId: credential.tenant } };
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(req.headers, 'authorization') ?? '')?.[1];
  const principal = authenticate(ctx.auth, apiKey ?? bearer);
  return principal ? { principal } : { status: 401, message: 'missing or wrong X-API-KEY' };
}

type State = 'preparing' | 'active' | 'paused' | 'closing';

export function audiohookAdapter(
  session: CallSession,
  ctx: IngressContext,
  upgrade: UpgradeRequest,
): ProtocolAdapter {
  const sessionId = headerValue(upgrade.headers, 'audiohook-session-id') ?? NULL_UUID;
  const organizationId = headerValue(upgrade.headers, 'audiohook-organization-id');
  let state: State = 'preparing';
  let serverSeq = 0;
  let clientSeq = 0;
  /** The selected format; null: no media (a probe, or nothing offered we decode). */
  let media: MediaParameter | null = null;
  let scored = false;
  let closeReason: string | undefined;
  /** The call's timeline: audio received plus gaps granted, and the part of it spent paused. */
  let timelineMs = 0;
  let heldMs = 0;
  let untrack: (() => void) | undefined;
  const log = ctx.log.child({ sessionId });

  const message = (type: string, parameters: Record<string, unknown>) =>
    JSON.stringify({ version: '2', id: sessionId, type, seq: ++serverSeq, clientseq: clientSeq, parameters });
  const send = (type: string, parameters: Record<string, unknown>) => session.send(message(type, parameters));
  const ignore = (type: string, why: string) => {
    ctx.metrics?.ignoredMessages.inc({ path: '/audiohook', type });
    log.warn({ type, state }, `audiohook ${type} ignored: ${why}`);
  };
  session.renderErrorsWith({
    render: (err) =>
      message('disconnect', {
        reason: UNAUTHORIZED.has(err.code) ? 'unauthorized' : 'error',
        info: detailOf(err),
      }),
    closeTransaction: true,
  });
  session.beforeEnd(() =>
    log.info({ timelineMs: Math.round(timelineMs), heldMs: Math.round(heldMs) }, 'audiohook call timeline'),
  );

  /** A span without audio: from `start` to `start + discarded`, never past the message's position. */
  const gapUntil = (start: string, discarded: string, position: string): number => {
    const end = Math.min(ms(start) + ms(discarded), ms(position));
    const granted = end > timelineMs ? session.gap(end - timelineMs) : 0;
    timelineMs += granted;
    return granted;
  };

  const open = (m: Extract<AudioHookMessage, { type: 'open' }>) => {
    const p = m.parameters;
    if (organizationId !== p.organizationId)
      throw new IngressError(
        'UNAUTHORIZED',
        'organizationId does not match the Audiohook-Organization-Id header',
      );
    const probe = p.conversationId === NULL_UUID || p.participant.id === NULL_UUID;
    media = p.media.find((o) => o.format in FORMATS) ?? null;
    const opened: Record<string, unknown> = { startPaused: false, media: media ? [media] : [] };
    if (p.supportedLanguages) opened.supportedLanguages = [];
    if (!probe && media) {
      const cfg = p.customConfig ?? {};
      // The caller's number (ANI) names the customer; a probe or a withheld number sends it empty.
      const ani = configId(p.participant.ani);
      const mediaFormat = {
        codec: FORMATS[media.format],
        sampleRate: 8000,
        channels: media.channels.map((c) => CHANNEL_SPEAKER[c]),
        framing: 'interleaved',
      };
      const continued = ctx.audiohook.claim(
        (p.continuedSessions ?? []).map((s) => s.id),
        p.conversationId,
      );
      // Continuing a session held elsewhere: this pod's audio starts where the stream is.
      const resumeAtMs = !continued && (p.continuedSessions?.length ?? 0) > 0 ? ms(m.position) : 0;
      timelineMs = resumeAtMs;
      session.start(
        {
          meta: {
            callId: p.conversationId,
            tenantId: configId(cfg.tenant) ?? p.organizationId,
            agentId: configId(cfg.agent),
            queue: configId(cfg.queue),
            ...(ani ? { customerId: ani } : {}),
          },
          media: mediaFormat,
        },
        continued?.call,
        resumeAtMs,
      );
      scored = true;
      untrack = ctx.audiohook.track(sessionId, () => {
        const taken = session.handOver();
        if (taken) scored = false;
        return taken;
      });
      session.beforeEnd(() => untrack?.());
    }
    state = 'active';
    send('opened', opened);
  };

  const handlers: { [K in AudioHookMessage['type']]: (m: Extract<AudioHookMessage, { type: K }>) => void } = {
    open: (m) => (state === 'preparing' ? open(m) : ignore('open', 'session already open')),
    ping: () => send('pong', {}),
    paused: () => {
      if (state === 'active') state = 'paused';
      else ignore('paused', 'not streaming');
    },
    resumed: (m) => {
      if (state !== 'paused') return ignore('resumed', 'not paused');
      state = 'active';
      heldMs += gapUntil(m.parameters.start, m.parameters.discarded, m.position);
    },
    discarded: (m) => {
      if (state === 'active' || state === 'paused')
        gapUntil(m.parameters.start, m.parameters.discarded, m.position);
      else ignore('discarded', 'not open');
    },
    update: () =>
      state === 'active' || state === 'paused' ? send('updated', {}) : ignore('update', 'not open'),
    error: (m) =>
      log.warn({ code: m.parameters.code, message: m.parameters.message }, 'audiohook client error'),
    close: (m) => {
      if (state === 'closing') return ignore('close', 'already closing');
      state = 'closing';
      closeReason = m.parameters.reason;
      if (closeReason === 'reconnect') park();
      session.stop();
      send('closed', {});
    },
  };

  /** Keeps the call for a session that continues it instead of ending it with this one. */
  const park = () => {
    if (!scored) return;
    const taken = session.handOver();
    untrack?.();
    if (taken) ctx.audiohook.park(sessionId, taken);
  };

  return {
    onText(text) {
      if (session.failing) {
        // After our disconnect only the client's close matters: answer it, then the socket closes.
        const type = (() => {
          try {
            return (JSON.parse(text) as { type?: unknown }).type;
          } catch {
            return undefined;
          }
        })();
        if (type === 'close') session.closeAfterFailure(message('closed', {}));
        return;
      }
      const m = parseMessage(text, audiohookMessage, 'type');
      if (m.seq !== clientSeq + 1) throw new IngressError('BAD_SEQ', `seq ${m.seq} after ${clientSeq}`);
      if (m.serverseq > serverSeq)
        throw new IngressError(
          'BAD_SEQ',
          `serverseq ${m.serverseq} is ahead of the server's seq ${serverSeq}`,
        );
      if (m.id !== sessionId) throw new IngressError('UNKNOWN_SESSION', `unknown session ${m.id}`);
      clientSeq = m.seq;
      (handlers[m.type] as (x: AudioHookMessage) => void)(m);
    },
    onBinary(bytes) {
      if (session.failing) return;
      if (state === 'paused') throw new IngressError('AUDIO_WHILE_PAUSED', 'audio while paused');
      if (state !== 'active') throw new IngressError('AUDIO_BEFORE_OPEN', 'audio outside an open session');
      if (!media) return;
      timelineMs +=
        (1000 * bytes.length) / (bytesPerSample(FORMATS[media.format]) * media.channels.length) / 8000;
      if (scored) session.frames(bytes);
    },
    onClose() {
      // The socket went away without a close transaction: a reconnecting client may continue the call.
      if (state !== 'closing' && !session.failing) park();
    },
  };
}
