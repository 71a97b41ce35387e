// The supervisors' wallboard in headless Chromium, one test per behaviour, against a board fed exact
// made-up events (testing/board.ts). wallboard-live.test.ts runs it on the live service.
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { EMOTIONS } from '../../core/emotions.ts';
import { EMOTION_COLORS } from '../../core/palette.ts';
import {
  alertAt,
  type CallMeta,
  explanationAt,
  scoreAt,
  summaryOf,
} from '../../services/live/wallboard/testing/events.ts';
import { describeWithService } from '../testing/services.ts';
import {
  BOARD_TOKEN,
  type Board,
  GRAFANA,
  OTHER_TENANT_TOKEN,
  startBoard,
  startOfToday,
  watchedPage,
} from './testing/board.ts';

const TENANT = 'acme';

/** Feeds `seconds` customer windows (one a second, ending at 2 s, 3 s, …) with frustration f(s). */
function feed(board: Board, call: CallMeta, seconds: number, f: (s: number) => number, from = 2) {
  for (let s = from; s < from + seconds; s++) board.wallboard.record(scoreAt(call, s * 1000, f(s)));
}

await describeWithService('chromium', 'wallboard in headless Chromium', ({ executablePath, args }) => {
  let browser: Browser;
  let board: Board;
  let context: BrowserContext;
  let problems: string[];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: [...args], headless: true });
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    board = await startBoard();
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    problems = [];
  });
  afterEach(async () => {
    await context?.close();
    await board?.stop();
  });

  async function open(page: Page, query = `tenant=${TENANT}&token=${BOARD_TOKEN}`) {
    const res = await page.goto(`${board.base}/?${query}`);
    expect(res?.status()).toBe(200);
  }
  const live = (page: Page) => page.waitForSelector('#status[data-state="open"]', { timeout: 10_000 });
  const card = (page: Page, callId: string) => page.locator(`.call[data-call-id="${callId}"]`);
  const kpi = (page: Page, name: string) => page.locator(`.kpi[data-kpi="${name}"] .kpi-value`);
  /** Ann's call on the billing queue. */
  const annsCall = (callId: string, startedAtMs = Date.now() - 30_000) => ({
    tenantId: TENANT,
    callId,
    agentId: 'ann',
    queue: 'billing',
    startedAtMs,
  });

  it('opened mid-call, shows the call from its first window and today’s alerts, not yesterday’s', async () => {
    const now = Date.now();
    const call = annsCall('mid-1', now - 95_000);
    feed(board, call, 92, (s) => Math.min(0.9, s / 100));
    board.wallboard.record(alertAt(call, 60_000, 'warning', { producedAtMs: now - 35_000 }));
    const old = { tenantId: TENANT, callId: 'yesterday-1', startedAtMs: startOfToday() - 7_200_000 };
    board.wallboard.record(alertAt(old, 30_000, 'critical', { producedAtMs: startOfToday() - 3_600_000 }));
    const page = await watchedPage(context, problems);
    await open(page);
    await live(page);
    expect(new URL(page.url()).searchParams.has('token')).toBe(false); // the token leaves the address bar
    await card(page, 'mid-1').waitFor();
    expect(await card(page, 'mid-1').locator('.duration').textContent()).toMatch(/^01:3[5-9]$/);
    expect(await page.locator('#alerts li').count()).toBe(1);
    expect(await page.locator('#alerts li').getAttribute('data-call-id')).toBe('mid-1');
    expect(await page.textContent('#alert-count')).toBe('(1, 1 open)');
    await card(page, 'mid-1').click();
    await page.waitForSelector('#timeline:not([hidden]) #timeline-chart .uplot canvas');
    // Every window since the call began, not only those since the page opened.
    // Polled as one: the charts are drawn again when the call's history arrives.
    await expect
      .poll(() =>
        page.evaluate('state.plots[0] && [state.plots[0].data[0].length, state.plots[0].data[0][0]]'),
      )
      .toEqual([92, 2]);
    expect(await page.locator('#timeline-alerts li').count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it('shows each call at a glance and the six emotions in its timeline', async () => {
    const now = Date.now();
    const rising = annsCall('rise', now - 62_000);
    feed(board, rising, 60, (s) => (s < 57 ? 0.2 : 0.8));
    const falling = {
      tenantId: TENANT,
      callId: 'fall',
      agentId: 'bo',
      queue: 'support',
      startedAtMs: now - 20_000,
    };
    const sad = { angry: 0.05, disgust: 0.05, fear: 0.1, happy: 0, neutral: 0.1, sad: 0.7 };
    for (let s = 2; s < 20; s++) {
      board.wallboard.record(scoreAt(falling, s * 1000, s < 12 ? 0.6 : 0.1, { probs: sad }));
      board.wallboard.record(scoreAt(falling, s * 1000, 0.1, { speaker: 'agent' }));
    }
    const page = await watchedPage(context, problems);
    await open(page);
    await live(page);
    const r = card(page, 'rise');
    await r.waitFor();
    expect(await r.locator('.call-id').textContent()).toBe('rise');
    expect(await r.locator('.agent').textContent()).toBe('ann');
    expect(await r.locator('.queue').textContent()).toBe('billing');
    expect(await r.locator('.duration').textContent()).toMatch(/^01:0\d$/);
    expect(await r.locator('.dominant').getAttribute('data-emotion')).toBe('angry');
    expect(await r.locator('.trend').textContent()).toBe('↑');
    expect(await r.locator('.frustration').textContent()).toBe('0.80');
    expect(await r.locator('.frustration').getAttribute('data-level')).toBe('critical');
    expect((await r.locator('.spark polyline').getAttribute('points'))!.split(' ')).toHaveLength(60);
    expect(await r.locator('.agent-row').textContent()).toBe('agent: not scored (tenant policy)');
    const f = card(page, 'fall');
    expect(await f.locator('.dominant').textContent()).toBe('sad');
    expect(await f.locator('.trend').textContent()).toBe('↓');
    expect(await f.locator('.trend').getAttribute('data-trend')).toBe('falling');
    expect(await f.locator('.agent-row').textContent()).toMatch(/^agent: \w+, frustration 0\.10$/);
    // The dot before the dominant emotion is the palette's colour of that emotion.
    const dot = await f
      .locator('.dominant')
      .evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el, '::before').backgroundColor);
    expect(dot).toBe(rgb(EMOTION_COLORS.sad));
    await f.click();
    await page.waitForSelector('#timeline:not([hidden]) #timeline-emotions .uplot canvas');
    // `state` is the board script's top-level binding (the page's global scope, not a window property).
    // Polled from outside: when the call's history arrives the charts are drawn again, and between that
    // and the next frame there are none. (Not page.waitForFunction: once it has to poll it evaluates the
    // expression with eval inside the page, which the board's CSP refuses; CI caught it.)
    const series = () =>
      page.evaluate('state.plots[1]?.series.slice(1).map((s) => [s.label, s._stroke])') as Promise<
        string[][] | undefined
      >;
    await expect.poll(async () => (await series())?.map((s) => s[0])).toEqual([...EMOTIONS]);
    expect((await series())?.map((s) => s[1])).toEqual(EMOTIONS.map((e) => EMOTION_COLORS[e]));
    expect(problems).toEqual([]);
  });

  it('shows which segments drove a customer window: kept, live, stepped through and hovered', async () => {
    const call = annsCall('explain-1');
    // Windows ending 2 … 20 s; from 5 s on each with ten 200 ms segments (weights ±0.02 … ±0.2).
    for (let s = 2; s <= 20; s++)
      board.wallboard.record(
        scoreAt(call, s * 1000, 0.5, s >= 5 ? { explanation: explanationAt(s * 1000) } : {}),
      );
    const page = await watchedPage(context, problems);
    await open(page);
    await live(page);
    await card(page, 'explain-1').click();
    await page.waitForSelector('#timeline:not([hidden]) #timeline-emotions .uplot canvas');
    await page.mouse.move(0, 0);
    const caption = () => page.textContent('#explain-caption');
    const cells = page.locator('#explain-strip li.segment');
    // The latest window, from the live history (a snapshot carries no explanations).
    await expect.poll(() => cells.count()).toBe(10);
    expect(await caption()).toBe('what drove angry, 18.0–20.0 s');
    const described = await cells.evaluateAll((els) =>
      els.map((el) => [
        el.getAttribute('title'),
        el.getAttribute('aria-label'),
        (el as unknown as { dataset: { sign: string } }).dataset.sign,
      ]),
    );
    expect(described[0]).toEqual([
      '18.0–18.2 s: +0.020 toward angry',
      '18.0–18.2 s: +0.020 toward angry',
      'support',
    ]);
    expect(described[1]).toEqual([
      '18.2–18.4 s: −0.040 away from angry',
      '18.2–18.4 s: −0.040 away from angry',
      'oppose',
    ]);
    const look = (nth: number) =>
      cells.nth(nth).evaluate((el) => {
        const style = (globalThis as unknown as Styled).getComputedStyle(el);
        return [style.backgroundColor, Number(style.opacity)];
      });
    expect(await look(0)).toEqual([rgb(EMOTION_COLORS.angry), expect.closeTo(0.15 + 0.85 * 0.1, 5)]);
    expect(await look(9)).toEqual(['rgba(0, 0, 0, 0)', 1]); // the largest weight, against angry: hollow
    // A window scored live: the strip follows it.
    board.wallboard.record(scoreAt(call, 21_000, 0.5, { explanation: explanationAt(21_000, 5, 'fear') }));
    await expect.poll(() => cells.count()).toBe(5);
    expect(await caption()).toBe('what drove fear, 19.0–21.0 s');
    expect(
      await cells
        .first()
        .evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el).backgroundColor),
    ).toBe(rgb(EMOTION_COLORS.fear));
    // Keys step through the explained windows; past the last, the strip follows the latest again.
    expect(await page.isDisabled('#explain-later')).toBe(true);
    await page.click('#explain-earlier');
    expect(await caption()).toBe('what drove angry, 18.0–20.0 s');
    await page.click('#explain-earlier');
    expect(await caption()).toBe('what drove angry, 17.0–19.0 s');
    await page.click('#explain-later');
    await page.click('#explain-later');
    expect(await caption()).toBe('what drove fear, 19.0–21.0 s');
    expect(await page.isDisabled('#explain-later')).toBe(true);
    // Hovering the chart's first window (2 s, unexplained) says so; leaving returns to the latest.
    await page.hover('#timeline-emotions .u-over', { position: { x: 1, y: 50 } });
    await expect.poll(caption).toBe('no explanation for the window ending at 2.0 s');
    expect(await cells.count()).toBe(0);
    await page.mouse.move(0, 0);
    await expect.poll(caption).toBe('what drove fear, 19.0–21.0 s');
    expect(problems).toEqual([]);
  });

  it('keeps the KPI strip, the cards, the alerts and the timeline consistent with the filters', async () => {
    const now = Date.now();
    const meta = (callId: string, queue: string, agentId: string) => ({
      tenantId: TENANT,
      callId,
      queue,
      agentId,
      startedAtMs: now - 30_000,
    });
    const b1 = meta('b1', 'billing', 'ann');
    const b2 = meta('b2', 'billing', 'bo');
    const s1 = meta('s1', 'support', 'cy');
    feed(board, b1, 20, () => 0.6);
    feed(board, b2, 20, () => 0.2);
    feed(board, s1, 20, () => 0.4);
    board.wallboard.record(alertAt(b1, 15_000, 'warning'));
    // Ended in the last hour: the baseline of "vs last hour" (billing 0.1, support 0.3).
    for (const [id, queue, f] of [
      ['e1', 'billing', 0.1],
      ['e2', 'support', 0.3],
    ] as const) {
      // Ended 20 minutes ago: off the board, still in the last hour.
      const c = { ...meta(id, queue, 'ann'), startedAtMs: now - 20 * 60_000 };
      feed(board, c, 5, () => f);
      board.wallboard.record(summaryOf(c, 8000, f));
    }
    const page = await watchedPage(context, problems);
    await open(page);
    await live(page);
    await card(page, 's1').waitFor();
    expect(await kpi(page, 'live').textContent()).toBe('3');
    expect(await kpi(page, 'in-alert').textContent()).toBe('1');
    expect(await kpi(page, 'mean').textContent()).toBe('0.40');
    expect(await kpi(page, 'peak').textContent()).toBe('0.60');
    expect(await kpi(page, 'change').textContent()).toBe('+0.20 ↑'); // 0.40 now against 0.20
    await card(page, 'b1').click();
    await page.waitForSelector('#timeline:not([hidden])');

    // Each filter step is read as one KPI snapshot: a single KPI can already hold its final value
    // in the state before (one live call with the queue filter on, and with the agent filter after it).
    const kpis = (...names: string[]) => Promise.all(names.map((n) => kpi(page, n).textContent()));
    await page.selectOption('#queue-filter', 'support');
    await expect
      .poll(() => kpis('live', 'in-alert', 'mean', 'change'))
      .toEqual(['1', '0', '0.40', '+0.10 ↑']);
    expect(
      await page
        .locator('.call')
        .evaluateAll((cs) => cs.map((c) => (c as unknown as { dataset: { callId: string } }).dataset.callId)),
    ).toEqual(['s1']);
    expect(await page.locator('#alerts li').count()).toBe(0);
    expect(await page.locator('#timeline').isHidden()).toBe(true); // b1 is filtered out: its timeline closes

    await page.selectOption('#queue-filter', '');
    await page.selectOption('#agent-filter', 'bo');
    // bo ended no call in the last hour: no change.
    await expect.poll(() => kpis('live', 'peak', 'change')).toEqual(['1', '0.20', '–']);
    expect(problems).toEqual([]);
  });

  it('says what is wrong with a missing, wrong, foreign or expired token, and stops retrying', async () => {
    const page = await watchedPage(context, problems);
    await open(page, `tenant=${TENANT}`);
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.textContent('#notice')).toContain('needs the service token');

    await open(page, `tenant=${TENANT}&token=wrong-token`);
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.textContent('#notice')).toContain('The token was not accepted');
    expect(await page.textContent('#status')).toBe('not connected');

    await open(page, `tenant=${TENANT}&token=${OTHER_TENANT_TOKEN}`);
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.textContent('#notice')).toContain(`may not watch tenant “${TENANT}”`);

    // Works, then the server comes back with another token (as `npm start` does on every run).
    await open(page);
    await live(page);
    let streams = 0;
    page.on('request', (r) => {
      if (r.url().includes('/api/stream')) streams++;
    });
    board.auth.operatorToken = 'a-new-token';
    board.wallboard.close();
    await page.waitForSelector('#login:not([hidden])', { timeout: 10_000 });
    expect(await page.textContent('#notice')).toContain('no longer accepted');
    const tried = streams;
    await page.waitForTimeout(3000);
    expect(streams).toBe(tried); // no endless "retrying"

    // Entering the current token gets the board back.
    await page.fill('#login-token', 'a-new-token');
    await page.click('#login button[type="submit"]');
    await live(page);
    expect(await page.locator('#notice').isHidden()).toBe(true);
  });

  it('names each call by its caller, falling back to the call id', async () => {
    const now = Date.now();
    const known = {
      tenantId: TENANT,
      callId: 'CA-known',
      customerId: '+15551230000',
      startedAtMs: now - 10_000,
    };
    const anonymous = { tenantId: TENANT, callId: 'CA-anonymous', startedAtMs: now - 10_000 };
    feed(board, known, 5, () => 0.2);
    const page = await watchedPage(context, problems);
    await open(page);
    await live(page);
    const k = card(page, 'CA-known').locator('.call-id');
    await k.waitFor();
    expect(await k.textContent()).toBe('+15551230000');
    expect(await k.getAttribute('title')).toContain('CA-known');
    // A call seen live: its customer comes with its first event.
    feed(board, anonymous, 3, () => 0.2);
    const a = card(page, 'CA-anonymous').locator('.call-id');
    await a.waitFor();
    expect(await a.textContent()).toBe('CA-anonymous');
    feed(board, { ...known, callId: 'CA-live' }, 3, () => 0.2);
    await expect.poll(() => card(page, 'CA-live').locator('.call-id').textContent()).toBe('+15551230000');
    expect(problems).toEqual([]);
  });

  it('shares an acknowledgement with every supervisor at once, with who and when', async () => {
    const call = annsCall('ack-1');
    feed(board, call, 20, () => 0.8);
    const alert = alertAt(call, 18_000, 'critical');
    board.wallboard.record(alert);
    const other = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    try {
      const [a, b] = [await watchedPage(context, problems), await watchedPage(other, problems)];
      for (const p of [a, b]) {
        await open(p);
        await live(p);
        await p.waitForSelector(`#alerts li[data-alert-id="${alert.eventId}"] .ack-button`);
        expect(await kpi(p, 'in-alert').textContent()).toBe('1');
      }
      // Without a name the board asks for one instead of acknowledging anonymously.
      await a.click(`#alerts li[data-alert-id="${alert.eventId}"] .ack-button`);
      expect(await a.textContent('#notice')).toContain('Enter your name');
      await a.fill('#supervisor', 'Dana');
      await a.click(`#alerts li[data-alert-id="${alert.eventId}"] .ack-button`);
      for (const p of [a, b]) {
        const ack = p.locator(`#alerts li[data-alert-id="${alert.eventId}"] .ack`);
        await expect
          .poll(() => ack.textContent(), { timeout: 3000 })
          .toMatch(/^✓ acknowledged by Dana at \d\d:\d\d:\d\d$/);
        expect(await kpi(p, 'in-alert').textContent()).toBe('0');
        expect(await card(p, 'ack-1').getAttribute('class')).toContain('alert-acked');
      }
      // A board opened later sees it too (stored in the live history).
      const c = await watchedPage(other, problems);
      await open(c);
      await live(c);
      await expect
        .poll(() => c.locator(`#alerts li[data-alert-id="${alert.eventId}"] .ack`).textContent())
        .toContain('acknowledged by Dana');
      expect(problems).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('sounds and notifies the desktop for live critical alerts when asked to, and only then', async () => {
    await context.grantPermissions(['notifications']);
    // Records notifications and oscillators (a beep) instead of making them.
    await context.addInitScript({
      content: `
        window.__notifications = [];
        window.__beeps = 0;
        window.Notification = class {
          static permission = 'granted';
          static requestPermission = async () => 'granted';
          constructor(title, options) { window.__notifications.push({ title, body: options.body }); }
        };
        const create = AudioContext.prototype.createOscillator;
        AudioContext.prototype.createOscillator = function () { window.__beeps++; return create.call(this); };
      `,
    });
    const call = annsCall('crit-1');
    feed(board, call, 10, () => 0.8);
    board.wallboard.record(alertAt(call, 5000, 'critical')); // before the page opened: no noise for it
    const page = await watchedPage(context, problems);
    await open(page);
    await live(page);
    board.wallboard.record(alertAt(call, 8000, 'critical'));
    await page.waitForSelector('#alerts li >> nth=1');
    const noise = () => page.evaluate('[window.__notifications.length, window.__beeps]');
    expect(await noise()).toEqual([0, 0]); // off by default

    await page.check('#sound-toggle');
    await page.check('#desktop-toggle');
    board.wallboard.record(alertAt(call, 9000, 'warning'));
    await page.waitForSelector('#alerts li >> nth=2');
    expect(await noise()).toEqual([0, 0]); // warnings stay quiet
    board.wallboard.record(alertAt(call, 10_000, 'critical'));
    await expect.poll(noise).toEqual([1, 1]);
    expect(await page.evaluate('window.__notifications[0]')).toMatchObject({
      title: 'Critical alert · crit-1',
    });
    // The choice survives a reload.
    await page.reload();
    await live(page);
    expect(await page.isChecked('#sound-toggle')).toBe(true);
    expect(await page.isChecked('#desktop-toggle')).toBe(true);
    expect(problems).toEqual([]);
  });

  it('has a TV mode without controls, in larger type, that Esc leaves', async () => {
    const call = annsCall('tv-1');
    feed(board, call, 10, () => 0.3);
    const page = await watchedPage(context, problems);
    await open(page);
    await live(page);
    const size = () =>
      page
        .locator('.call-id')
        .evaluate((el) => Number.parseFloat((globalThis as unknown as Styled).getComputedStyle(el).fontSize));
    const normal = await size();
    await page.click('#kiosk-toggle');
    expect(await page.getAttribute('html', 'class')).toContain('kiosk');
    expect(new URL(page.url()).searchParams.get('kiosk')).toBe('1');
    for (const control of ['#queue-filter', '#supervisor', '#sound-toggle', '#kiosk-toggle'])
      expect(await page.locator(control).isVisible(), control).toBe(false);
    expect(await page.locator('#clock').isVisible()).toBe(true);
    expect(await size()).toBeGreaterThan(normal * 1.2);
    await page.reload(); // a TV keeps its mode across reloads (the URL says so)
    await live(page);
    expect(await page.getAttribute('html', 'class')).toContain('kiosk');
    await page.keyboard.press('Escape');
    expect(await page.getAttribute('html', 'class')).not.toContain('kiosk');
    expect(await page.locator('#queue-filter').isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('links a call to its Grafana call-timeline dashboard', async () => {
    const startedAtMs = Date.now() - 30_000;
    feed(board, annsCall('graf-1', startedAtMs), 5, () => 0.3);
    const page = await watchedPage(context, problems);
    await open(page);
    await live(page);
    const href = await card(page, 'graf-1').locator('a.grafana').getAttribute('href');
    const url = new URL(href!);
    expect(`${url.origin}${url.pathname}`).toBe(`${GRAFANA}/d/voicepulse-call-timeline/call-timeline`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      'var-tenant': TENANT,
      'var-call_id': 'graf-1',
      from: String(startedAtMs - 60_000),
      to: 'now',
    });
    expect(problems).toEqual([]);
  });
});

/** The page's getComputedStyle (this project compiles without the DOM library). */
interface Styled {
  getComputedStyle(
    el: unknown,
    pseudo?: string,
  ): { backgroundColor: string; fontSize: string; opacity: string };
}

/** `#rrggbb` as getComputedStyle writes it. */
function rgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}
