// Acknowledgements outlive the process: `serve` on the embedded store (chdb at VOICEPULSE_CHDB_PATH)
// stores an alert and a board's acknowledgement of it; a new `serve` on the same path shows the alert,
// acknowledged by the same person at the same time, to a board opened after the restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipelineFor } from '../../../cli/commands/serve.ts';
import { eventually } from '../../../core/bus/testing/contract.ts';
import { parseEnv } from '../../../core/config/env.ts';
import { serveConfig } from '../config.ts';
import { type Running, runServe } from '../serve.ts';
import type { Ack, BoardSnapshot } from './history.ts';
import { alertAt } from './testing/events.ts';

const TOKEN = 'wallboard-operator-token-0123456789';

describe('wallboard acknowledgements across a serve restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vp-board-restart-'));
  let running: Running | undefined;
  afterAll(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = () => {
    const config = serveConfig(
      { port: 0, host: '127.0.0.1', threads: 0 },
      parseEnv({
        VOICEPULSE_CHDB_PATH: dir,
        VOICEPULSE_RECORDINGS_DIR: join(dir, 'recordings'),
        VOICEPULSE_TOKEN: TOKEN,
      }),
    );
    return runServe(config, { analytics: pipelineFor(config), logLevel: 'silent' });
  };
  const api = (r: Running, path: string, init: RequestInit = {}) =>
    fetch(`${r.app.urls.http}/wallboard/api/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    });
  const count = async (r: Running, table: string) => {
    const [row] = await r.analytics!.clickhouse.query<{ n: string | number }>(
      `SELECT count() AS n FROM ${table} FINAL`,
    );
    return Number(row?.n);
  };

  it('stores an acknowledgement and shows it to a board opened after a restart', async () => {
    running = await start();
    const alert = alertAt(
      { tenantId: 'acme', callId: 'call-1', customerId: '+15551230000', startedAtMs: Date.now() - 60_000 },
      30_000,
      'critical',
    );
    // The alert of a call this process never saw (a restart before it) reaches the board from the store.
    await running.analytics!.bus.publish([alert]);
    await eventually(
      () => count(running!, 'alerts'),
      (n) => n === 1,
    );
    const before = (await (await api(running, 'snapshot?tenant=acme')).json()) as BoardSnapshot;
    expect(before.alerts).toMatchObject([{ eventId: alert.eventId, customerId: '+15551230000', ack: null }]);
    const acked = await api(running, `alerts/${encodeURIComponent(alert.eventId)}/ack?tenant=acme`, {
      method: 'POST',
      body: JSON.stringify({ by: 'Dana' }),
    });
    expect(acked.status).toBe(200);
    const { ack } = (await acked.json()) as { ack: Ack };
    expect(ack).toMatchObject({ by: 'Dana' });
    await eventually(
      () => count(running!, 'alert_acks'),
      (n) => n === 1,
    );
    await running.stop();
    running = undefined;

    running = await start();
    const after = (await (await api(running, 'snapshot?tenant=acme')).json()) as BoardSnapshot;
    expect(after.alerts).toEqual([expect.objectContaining({ eventId: alert.eventId, ack })]);
    // A second acknowledgement after the restart does not replace the first.
    const again = await api(running, `alerts/${encodeURIComponent(alert.eventId)}/ack?tenant=acme`, {
      method: 'POST',
      body: JSON.stringify({ by: 'Eve' }),
    });
    expect(((await again.json()) as { ack: Ack }).ack).toEqual(ack);
  }, 60_000);
});
