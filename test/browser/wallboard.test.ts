// The supervisors' wallboard in headless Chromium against the real live service: a call streamed
// through the Twilio gateway appears and updates, its alert shows, and its timeline chart opens.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULES } from '../../core/alerts/rules.ts';
import type { App } from '../../services/live/app.ts';
import { demoCall } from '../../clients/demo-call.ts';
import { playCall } from '../../clients/players.ts';
import { createWallboard } from '../../services/live/wallboard/wallboard.ts';
import { connect, TOKEN, tempModelDir, testApp } from '../testing/e2e.ts';
import { describeWithService } from '../testing/services.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'artifacts');
const TENANT = 'wallboard-test';
const CALL_ID = 'wb-call-1';

await describeWithService('chromium', 'wallboard in headless Chromium', ({ executablePath, args }) => {
  let browser: Browser;
  let app: App;
  let page: Page;
  const model = tempModelDir();
  const problems: string[] = [];

  beforeAll(async () => {
    app = await testApp(model.dir, {
      http: [createWallboard().handle],
      // Agent scoring on (both speakers' bars) and an alert on the first customer window, so the
      // test does not depend on what the small seeded model happens to score.
      policies: {
        [TENANT]: {
          agentEmotionScoring: true,
          alerts: {
            ...DEFAULT_ALERT_RULES,
            customerFrustration: { enabled: true, threshold: 0, criticalThreshold: 0, sustainMs: 0 },
          },
          webhooks: [],
        },
      },
    });
    browser = await chromium.launch({ executablePath, args: [...args], headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    model.remove();
  });

  it('shows a streamed call, updates it, highlights its alert and opens its timeline', async () => {
    const base = app.urls.http as string;
    const response = await page.goto(`${base}/?tenant=${TENANT}&token=${TOKEN}`);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/wallboard/');
    expect(new URL(page.url()).searchParams.has('token')).toBe(false); // the token leaves the address bar
    await page.waitForSelector('#status[data-state="open"]', { timeout: 15_000 });

    // A second watcher timestamps when the server emits each of the call's events.
    const observer = connect(`${base.replace('http', 'ws')}/watch?callId=${CALL_ID}`);
    await observer.opened;
    const call = await demoCall(join(ROOT, 'no-corpus-here')); // synthetic audio: no corpus needed
    // Not awaited: the call plays on while the page is checked; stopping the app ends it.
    const playing = playCall('twilio', {
      url: base.replace('http', 'ws'),
      token: TOKEN,
      callId: CALL_ID,
      tenant: TENANT,
      agent: 'agent-007',
      queue: 'billing',
      customer: call.customer,
      agentAudio: call.agent,
      speed: 1,
    });
    playing.catch(() => {});

    await observer.waitFor((m) => (m as { type?: string }).type === 'score', 15_000);
    const firstScoreAt = Date.now();
    const card = page.locator(`.call[data-call-id="${CALL_ID}"]`);
    await card.waitFor({ state: 'visible', timeout: 2000 });
    const appearedMs = Date.now() - firstScoreAt;
    const before = await card.locator('.call-state').textContent();
    await expect
      .poll(async () => card.locator('.call-state').textContent(), { timeout: 2000, interval: 100 })
      .not.toBe(before);
    expect(await card.locator('[data-speaker="customer"] .bar.frustration .value').textContent()).toMatch(
      /^\d\.\d\d$/,
    );
    expect(await card.locator('[data-speaker="customer"] .bar').count()).toBe(7); // frustration + 6 emotions
    expect(await card.locator('[data-speaker="agent"] .bar').count()).toBe(7);

    await page.waitForSelector(`#alerts li.critical[data-call-id="${CALL_ID}"]`, { timeout: 10_000 });
    await expect.poll(async () => card.getAttribute('class')).toContain('alert-critical');

    // The filters offer the call's queue and agent, and filtering by them keeps it on the board.
    await page.selectOption('#queue-filter', 'billing');
    await card.waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.locator('#agent-filter option').allTextContents()).toEqual(['all', 'agent-007']);

    await card.click();
    await page.waitForSelector('#timeline:not([hidden]) #timeline-chart .uplot canvas', { timeout: 5000 });
    expect(await page.textContent('#timeline-call')).toBe(CALL_ID);
    // Let a few more windows arrive so the chart shows a stretch of the call.
    await page.waitForTimeout(4000);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'wallboard.png') });
    console.info(
      `[wallboard] card appeared ${appearedMs} ms after the first score; screenshot artifacts/wallboard.png`,
    );

    observer.ws.close();
    expect(problems).toEqual([]);
  }, 60_000);
});
