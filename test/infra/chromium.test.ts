import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService } from '../testing/services.ts';

await describeWithService('chromium', 'Chromium smoke (headless)', ({ executablePath, args }) => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: [...args], headless: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('renders a page, runs its script and takes a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 320, height: 200 } });
    const html =
      '<title>probe</title><p id="out">waiting</p>' +
      '<script>document.getElementById("out").textContent = [1, 2, 3].map((x) => x * 7).join(",")</script>';
    await page.goto(`data:text/html,${encodeURIComponent(html)}`);
    expect(await page.title()).toBe('probe');
    expect(await page.textContent('#out')).toBe('7,14,21');
    const png = await page.screenshot();
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(png.length).toBeGreaterThan(200);
    await page.close();
  });
});
