// The demo a newcomer sees first: its clips ship with the repo (attributed, within 1 MB), and the
// committed model, fed the call through the real Twilio gateway, hears the customer turn angry and
// raises the frustration alert. A model change that breaks the demo fails here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoreEvent, VoicePulseEvent } from '../core/events/schema.ts';
import { COMMITTED_MODEL_DIR } from '../core/model/format.ts';
import type { App } from '../services/live/app.ts';
import { connect, isSummary, TOKEN, testApp } from '../test/testing/e2e.ts';
import { DEMO_CLIPS, DEMO_DIR, demoCall } from './demo-call.ts';
import { playCall } from './players.ts';

describe('demo call assets', () => {
  it('ships exactly the clips the script plays, within 1 MB, each attributed in the NOTICE', () => {
    const wavs = readdirSync(DEMO_DIR).filter((f) => f.endsWith('.wav'));
    expect(wavs.sort()).toEqual([...DEMO_CLIPS].sort());
    const bytes = readdirSync(DEMO_DIR).reduce((s, f) => s + statSync(join(DEMO_DIR, f)).size, 0);
    expect(bytes).toBeLessThanOrEqual(1_000_000);
    const notice = readFileSync(join(DEMO_DIR, 'README.md'), 'utf8');
    expect(notice).toContain('CC BY-NC-SA 4.0');
    expect(notice).toContain('Livingstone');
    for (const clip of DEMO_CLIPS) expect(notice).toContain(`\`${clip}\``);
  });

  it('builds two tracks of equal length where only one speaker talks at a time', async () => {
    const call = await demoCall();
    expect(call.customer.length).toBe(call.agent.length);
    expect(call.customer.length / 8000).toBeGreaterThan(20);
    for (let i = 0; i < call.customer.length; i++)
      if (call.customer[i] !== 0 && call.agent[i] !== 0) throw new Error(`both speak at sample ${i}`);
    expect(call.turns.map((t) => t.speaker)).toContain('customer');
    expect(call.turns.find((t) => t.what.startsWith('acted angry'))?.speaker).toBe('customer');
  });
});

describe('demo call through the gateway, scored by the committed model', () => {
  let app: App;
  let events: VoicePulseEvent[];

  beforeAll(async () => {
    app = await testApp(COMMITTED_MODEL_DIR);
    const base = app.urls.http!.replace('http', 'ws');
    const watcher = connect(`${base}/watch?callId=demo-test`);
    await watcher.opened;
    const call = await demoCall();
    await playCall('twilio', {
      url: base,
      token: TOKEN,
      callId: 'demo-test',
      tenant: 'demo',
      customer: call.customer,
      agentAudio: call.agent,
      speed: 8,
    });
    await watcher.waitFor(isSummary, 30_000);
    events = watcher.events();
    watcher.ws.close();
  }, 60_000);

  afterAll(() => app?.stop());

  it('hears the customer angry and fires the default frustration alert', () => {
    const customer = events.filter((e): e is ScoreEvent => e.type === 'score' && e.speaker === 'customer');
    const angryWindows = customer.filter((e) => e.probs.angry >= 0.5);
    expect(angryWindows.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...customer.map((e) => e.frustration))).toBeGreaterThanOrEqual(0.6);
    const alerts = events.filter((e) => e.type === 'alert');
    expect(alerts.map((a) => [a.rule, a.speaker])).toContainEqual([
      'customer_frustration_sustained',
      'customer',
    ]);
    // The agent is not scored by default (tenant policy), so no agent rule can fire.
    expect(events.some((e) => e.type === 'score' && e.speaker === 'agent')).toBe(false);
  });
});
