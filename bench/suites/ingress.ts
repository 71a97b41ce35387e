// `npm run bench -- ingress`: the CPU cost of one Twilio media message (20 ms of one track, about
// 100 a second per call), through the real adapter on the test fakes of services/live/ingress/
// testing/ (session, reordering, call registry and metrics real; the scoring backend records).
// Next to it, measured in the same run: the message boundary alone (JSON.parse, the schema that
// validates and decodes the payload), the same boundary as it was before the media fast path (zod's
// z.base64() on the payload, then Buffer.from and decodeFrames), and JSON.parse alone, the floor.
// Best of several batches is the figure least disturbed by other processes; the median shows how
// loaded the machine was.
import { z } from 'zod';
import { mediaMessages, startMessage } from '../../clients/twilio-client.ts';
import { decodeFrames } from '../../services/live/ingress/codec.ts';
import { parseJson, validateMessage } from '../../services/live/ingress/messages.ts';
import { socketCall } from '../../services/live/ingress/testing/calls.ts';
import { mediaMessage, twilioMessage } from '../../services/live/ingress/twilio.ts';
import type { BenchSuite } from '../harness.ts';
import { measure, speechLikeAudio } from '../harness.ts';

const call = {
  callSid: 'CA-bench',
  streamSid: 'MZ0123456789abcdef0123456789abcdef',
  params: { tenant: 'acme' },
};
/** Twilio's rate: 20 ms per message per track, two tracks. */
const MESSAGES_PER_CALL_SECOND = 100;
/** A minute of both tracks, interleaved as Twilio sends them: 6,000 messages a batch. */
const SECONDS = 60;

/** The media schema before the fast path: every number transformed, zod's base64 check, the bytes decoded afterwards. */
const numeric = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);
const baselineMedia = mediaMessage.extend({
  sequenceNumber: numeric.optional(),
  media: mediaMessage.shape.media.extend({ chunk: numeric, timestamp: numeric, payload: z.base64().min(1) }),
});
const baselineMessage = z.discriminatedUnion('event', [
  baselineMedia,
  ...twilioMessage.options.filter((o) => o !== mediaMessage),
]);

export const ingressSuite: BenchSuite = {
  name: 'ingress',
  description:
    'Twilio media message: µs each and messages/s per core, fast path vs zod base64 + Buffer baseline',
  run() {
    const audio = speechLikeAudio(SECONDS, 8000);
    const inbound = mediaMessages(call, 'inbound', audio);
    const outbound = mediaMessages(call, 'outbound', audio);
    // Numbered as Twilio numbers a stream's messages (mediaMessages leaves sequenceNumber out).
    const messages = inbound
      .flatMap((m, i) => [m, outbound[i]!])
      .map((m, i) => m.replace('{"event":"media",', `{"event":"media","sequenceNumber":"${i + 2}",`));
    let sink = 0;
    const rows: Array<[string, () => void]> = [
      [
        'onText: whole adapter (boundary, reorder, session)',
        () => {
          // A fresh call per batch (media time restarts); its set-up is < 1 % of the batch.
          const t = socketCall('/twilio');
          t.text(startMessage(call));
          for (const m of messages) t.text(m);
          if (t.port.failed) throw t.port.failed.err;
        },
      ],
      [
        'boundary: JSON.parse + schema, payload decoded in one pass',
        () => {
          for (const m of messages) {
            const msg = validateMessage(parseJson(m), twilioMessage, 'event');
            if (msg.event === 'media') sink += msg.media.payload.length;
          }
        },
      ],
      [
        'baseline boundary: z.base64(), Buffer.from, decodeFrames',
        () => {
          for (const m of messages) {
            const msg = validateMessage(parseJson(m), baselineMessage, 'event');
            // Always a string here: the filter above does not narrow the union's type.
            if (msg.event === 'media' && typeof msg.media.payload === 'string')
              sink += decodeFrames(Buffer.from(msg.media.payload, 'base64'), 'mulaw', 1)[0]!.length;
          }
        },
      ],
      [
        'JSON.parse alone (the floor)',
        () => {
          for (const m of messages) sink += (JSON.parse(m) as { event: string }).event.length;
        },
      ],
    ];
    const table = rows.map(([label, batch]) => {
      const t = measure(batch, { minMs: 2000 });
      const best = (1000 * t.bestMs) / messages.length;
      const median = (1000 * t.medianMs) / messages.length;
      return { label, best, median };
    });
    if (sink === 0) throw new Error('nothing decoded');
    const perCore = (us: number) => Math.round(1e6 / us);
    return {
      columns: ['path', 'µs/message best', 'median', 'messages/s per core', 'calls per core'],
      rows: table.map(({ label, best, median }) => [
        label,
        best.toFixed(2),
        median.toFixed(2),
        perCore(best).toLocaleString('en'),
        Math.floor(perCore(best) / MESSAGES_PER_CALL_SECOND).toLocaleString('en'),
      ]),
      notes: [
        `${messages.length} messages a batch (${SECONDS} s of a two-track call); messages/s and calls per core from the best batch, ingress only (${MESSAGES_PER_CALL_SECOND} messages/s a call; scoring not included).`,
        `Boundary speed-up over the baseline in this run: ${(table[2]!.best / table[1]!.best).toFixed(2)}× (best), ${(table[2]!.median / table[1]!.median).toFixed(2)}× (median).`,
      ],
      verdicts: [],
    };
  },
};
