// The wallboard on the live service in headless Chromium: the demo call streamed through the real
// Twilio gateway, scored by the committed model, appears on the board, with its alert and timeline.
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoCall } from '../../clients/demo-call.ts';
import { playCall } from '../../clients/players.ts';
import { DEFAULT_ALERT_RULES } from '../../core/alerts/rules.ts';
import { COMMITTED_MODEL_DIR } from '../../core/model/format.ts';
import type { App } from '../../services/live/app.ts';
import { createWallboard } from '../../services/live/wallboard/wallboard.ts';
import { connect, TOKEN, testApp } from '../testing/e2e.ts';
import { describeWithService } from '../testing/services.ts';
import { watchedPage } from './testing/board.ts';

const TENANT = 'acme';

await describeWithService('chromium', 'wallboard on the live service', ({ executablePath, args }) => {
  let browser: Browser;
  let app: App;

  beforeAll(async () => {
    const wallboard = createWallboard({ auth: { operatorToken: TOKEN } });
    app = await testApp(COMMITTED_MODEL_DIR, {
      http: [wallboard.handle],
      onEvent: wallboard.record,
      policies: { [TENANT]: { agentEmotionScoring: true, alerts: DEFAULT_ALERT_RULES, webhooks: [] } },
    });
    browser = await chromium.launch({ executablePath, args: [...args], headless: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('shows the demo call scored live, its alert, and a timeline that covers no card', async () => {
    const problems: string[] = [];
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context, problems);
    const base = app.urls.http!;
    await page.goto(`${base}/?tenant=${TENANT}&token=${TOKEN}`);
    await page.waitForSelector('#status[data-state="open"]', { timeout: 15_000 });
    const observer = connect(`${base.replace('http', 'ws')}/watch?callId=live-1`);
    await observer.opened;
    const call = await demoCall();
    const playing = playCall('twilio', {
      url: base.replace('http', 'ws'),
      token: TOKEN,
      callId: 'live-1',
      tenant: TENANT,
      agent: 'agent-007',
      queue: 'billing',
      customer: call.customer,
      agentAudio: call.agent,
      speed: 4,
    });
    await observer.waitFor((m) => (m as { type?: string }).type === 'score', 15_000);
    const seenAt = Date.now();
    const live = page.locator('.call[data-call-id="live-1"]');
    await live.waitFor({ timeout: 2000 });
    const appearedMs = Date.now() - seenAt;
    await page.waitForSelector('#alerts li[data-call-id="live-1"]', { timeout: 20_000 });
    expect(await page.textContent('#alerts li[data-call-id="live-1"] .alert-message')).toMatch(
      /^customer frustration sustained/,
    );
    expect(await live.locator('.dominant').getAttribute('data-emotion')).toBe('angry');
    await live.click();
    await page.waitForSelector('#timeline:not([hidden]) #timeline-emotions .uplot canvas');
    const timeline = await page.locator('#timeline').boundingBox();
    for (const box of await page
      .locator('.call')
      .evaluateAll((cs) => cs.map((c) => c.getBoundingClientRect().toJSON())))
      expect(box.y >= timeline!.y + timeline!.height || box.y + box.height <= timeline!.y).toBe(true);
    await playing;
    observer.ws.close();
    console.info(`[wallboard] card appeared ${appearedMs} ms after the first score`);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
