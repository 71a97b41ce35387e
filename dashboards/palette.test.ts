import { expect, it } from 'vitest';
import { EMOTIONS } from '../core/emotions.ts';
import { EMOTION_COLORS } from '../core/palette.ts';
import { DASHBOARDS } from './index.ts';
import { clickhouseTargets } from './targets.ts';
import { panelColors, previewHtml } from './testing/preview.ts';

it('colours every emotion series from the one palette (angry red, neutral grey), in every dashboard', () => {
  let panels = 0;
  for (const [file, build] of Object.entries(DASHBOARDS)) {
    const dashboard = build();
    const emotionPanels = clickhouseTargets(dashboard).filter((t) =>
      EMOTIONS.some((e) => new RegExp(`\\bAS ${e}\\b`).test(t.sql)),
    );
    for (const target of emotionPanels) {
      const panel = dashboard.panels?.find((p) => (p as { title?: string }).title === target.title);
      const colors = panelColors(panel);
      for (const e of EMOTIONS) expect(colors[e], `${file} / ${target.title} / ${e}`).toBe(EMOTION_COLORS[e]);
      panels++;
    }
  }
  expect(panels).toBeGreaterThanOrEqual(2); // customer satisfaction and call timeline
  // Red angry, not Grafana's first palette colour (green), which the dashboards and preview used to give it.
  const [r, g] = [1, 3].map((i) => Number.parseInt(EMOTION_COLORS.angry.slice(i, i + 2), 16));
  expect(r).toBeGreaterThan(2 * g!);
});

it('draws each series of the preview in its panel colour', () => {
  const html = previewHtml(
    'x',
    [
      {
        title: 'mix',
        type: 'timeseries',
        gridPos: { x: 0, y: 0, w: 24, h: 8 },
        columns: [],
        rows: [],
        colors: { angry: EMOTION_COLORS.angry },
      },
    ],
    '',
    '',
  );
  expect(html).toContain(`"colors":{"angry":"${EMOTION_COLORS.angry}"}`);
  expect(html).toContain('stroke:p.colors[k]??');
  // The page's own script parses (a stray newline in a string literal once blanked every panel).
  const script = /<script>([^<]*panels\.forEach[\s\S]*?)<\/script>/.exec(html)?.[1];
  expect(script).toBeDefined();
  expect(() => new Function(script!)).not.toThrow();
});
