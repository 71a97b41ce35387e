import { expect, it } from 'vitest';
import { type PanelResult, previewHtml } from './testing/preview.ts';

const panel = (over: Partial<PanelResult>): PanelResult => ({
  title: 'p',
  type: 'table',
  gridPos: { x: 0, y: 0, w: 12, h: 5 },
  columns: [],
  rows: [],
  colors: {},
  ...over,
});

it('lays panels on the 24-column grid and escapes what it writes as HTML', () => {
  const html = previewHtml(
    'Board <1>',
    [
      panel({ title: '<b>x</b>', gridPos: { x: 6, y: 2, w: 18, h: 4 } }),
      panel({ title: 'y', error: 'boom' }),
    ],
    '/*uplot*/',
    '/*css*/',
  );
  expect(html).toContain('<title>Board &lt;1&gt;</title>');
  expect(html).toContain('grid-column:7/span 18;grid-row:3/span 4');
  expect(html).toContain('<h2>&lt;b&gt;x&lt;/b&gt;</h2>');
  expect(html).not.toContain('<b>x</b>');
  expect(html).toContain('/*uplot*/');
  // Panel data travels as JSON and is written with textContent, never as markup.
  expect(html).toContain('"error":"boom"');
});
