// Shared helpers of the socket-level tests: an app on a random port with a small seeded model, and
// WebSocket clients that record what they receive and how they were closed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import type { VoicePulseEvent } from '../../core/events/schema.ts';
import { saveModel } from '../../core/model/format.ts';
import { seededModel } from '../../core/model/testing/tdnn.ts';
import { DEFAULT_SETTINGS } from '../../core/streaming/config.ts';
import { type App, type AppOptions, startApp } from '../../services/live/app.ts';
import { DEFAULT_LIMITS } from '../../services/live/ingress/session.ts';

export const TOKEN = 'test-token';

export function tempModelDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vp-e2e-model-'));
  saveModel(seededModel('e2e'), dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testApp(modelDir: string, over: Partial<AppOptions> = {}): Promise<App> {
  return startApp({
    port: 0,
    host: '127.0.0.1',
    token: TOKEN,
    modelDir,
    threads: 0,
    streaming: DEFAULT_SETTINGS,
    // Tests replay audio faster than real time: admission by scoring lag and load is tested on its own.
    limits: { ...DEFAULT_LIMITS, maxScoringLagMs: 0, maxScoringLoad: 0 },
    policies: {},
    logger: pino({ level: 'silent' }),
    ...over,
  });
}

export interface Client {
  ws: WebSocket;
  texts: string[];
  events: () => VoicePulseEvent[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves when a received text message satisfies `pred`. */
  waitFor(pred: (m: unknown) => boolean, ms?: number): Promise<unknown>;
}

export function connect(
  url: string,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
): Client {
  const ws = new WebSocket(url, { headers });
  const texts: string[] = [];
  const waiters: Array<{ pred: (m: unknown) => boolean; resolve: (m: unknown) => void }> = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const text = data.toString();
    texts.push(text);
    const m = JSON.parse(text);
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  opened.catch(() => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return {
    ws,
    texts,
    events: () =>
      texts
        .map((t) => JSON.parse(t))
        .filter((m) => ['score', 'alert', 'call_summary'].includes(m.type)) as VoicePulseEvent[],
    opened,
    closed,
    waitFor(pred, ms = 20_000) {
      for (const t of texts) {
        const m = JSON.parse(t);
        if (pred(m)) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        waiters.push({ pred, resolve });
        setTimeout(() => reject(new Error(`timed out waiting; got ${texts.length} messages`)), ms).unref();
      });
    },
  };
}

export const isSummary = (m: unknown) => (m as { type?: string }).type === 'call_summary';

/** Score events without their production time, for comparing runs. */
/**
 * `actual` equals `expected` except that numbers may differ by `tolerance`: the network's float
 * results depend slightly on which windows share a batch, and live batches differ from offline ones.
 */
export function expectClose(actual: unknown, expected: unknown, tolerance = 1e-6, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (!(Math.abs(actual - expected) <= tolerance))
      throw new Error(`${path}: ${actual} differs from ${expected} by more than ${tolerance}`);
  } else if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual) !== Array.isArray(expected))
      throw new Error(`${path}: ${JSON.stringify(actual)} is not like ${JSON.stringify(expected)}`);
    const keys = Object.keys(expected);
    if (JSON.stringify(Object.keys(actual).sort()) !== JSON.stringify([...keys].sort()))
      throw new Error(`${path}: keys ${Object.keys(actual).join(',')} differ from ${keys.join(',')}`);
    for (const k of keys)
      expectClose(
        (actual as Record<string, unknown>)[k],
        (expected as Record<string, unknown>)[k],
        tolerance,
        `${path}.${k}`,
      );
  } else if (actual !== expected) throw new Error(`${path}: ${String(actual)} is not ${String(expected)}`);
}

export function scoresOf(events: readonly VoicePulseEvent[]) {
  return events
    .filter((e) => e.type === 'score')
    .map(({ producedAtMs: _, ...rest }) => rest)
    .sort((a, b) => (a.speaker + a.windowStartMs).localeCompare(b.speaker + b.windowStartMs));
}
