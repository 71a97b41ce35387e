import { describe, expect, it } from 'vitest';
import { confusionMatrixSvg, PlotError } from './plots.ts';

const labels = ['angry', 'happy', 'sad'];
const confusion = [
  [7, 2, 1],
  [0, 9, 3],
  [4, 0, 0],
];

/** Text content of every SVG <text> element. */
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('confusionMatrixSvg', () => {
  it('renders a labelled heatmap with each cell count and row share', async () => {
    const svg = await confusionMatrixSvg({ title: 'demo corpus', labels, confusion });
    expect(svg.startsWith('<svg')).toBe(true);
    const t = texts(svg);
    expect(t).toContain('demo corpus');
    expect(t).toContain('true class');
    expect(t).toContain('predicted');
    // Each class labels one row and one column.
    for (const l of labels) expect(t.filter((x) => x === l)).toHaveLength(2);
    expect(t).toEqual(
      expect.arrayContaining([
        '7 (70 %)',
        '2 (20 %)',
        '1 (10 %)',
        '0 (0 %)',
        '9 (75 %)',
        '3 (25 %)',
        '4 (100 %)',
      ]),
    );
    // One coloured rect per cell, filled by its row share.
    const cells = [
      ...svg.matchAll(
        /aria-label="predicted: (\w+); true class: (\w+); share of row: (\d+)%"[^>]*fill="([^"]+)"/g,
      ),
    ];
    expect(cells).toHaveLength(9);
    const fill = (p: string, t: string) => cells.find((c) => c[1] === p && c[2] === t)![4];
    // Equal shares, equal colours, wherever they are; a different share, another colour.
    expect(fill('happy', 'sad')).toBe(fill('angry', 'happy')); // both 0 % of their rows
    expect(fill('sad', 'sad')).toBe(fill('angry', 'happy'));
    expect(fill('angry', 'sad')).not.toBe(fill('happy', 'sad')); // 100 % vs 0 %
    expect(fill('happy', 'angry')).not.toBe(fill('happy', 'happy')); // 20 % vs 75 %
  });

  it('differs for different matrices and shows empty rows as dashes', async () => {
    const a = await confusionMatrixSvg({ title: 'x', labels, confusion });
    const b = await confusionMatrixSvg({
      title: 'x',
      labels,
      confusion: [
        [7, 2, 1],
        [0, 9, 3],
        [0, 0, 0],
      ],
    });
    expect(b).not.toBe(a);
    expect(texts(b).filter((x) => x === '–')).toHaveLength(3);
  });

  it('rejects malformed input with a PlotError', async () => {
    await expect(confusionMatrixSvg({ title: 'x', labels, confusion: [[1, 2, 3]] })).rejects.toThrow(
      PlotError,
    );
    await expect(
      confusionMatrixSvg({
        title: 'x',
        labels: ['a', 'a'],
        confusion: [
          [1, 0],
          [0, 1],
        ],
      }),
    ).rejects.toThrow(PlotError);
    await expect(
      confusionMatrixSvg({
        title: 'x',
        labels: ['a', 'b'],
        confusion: [
          [1, -1],
          [0, 1],
        ],
      }),
    ).rejects.toThrow(/non-negative integer/);
    await expect(confusionMatrixSvg({ title: 'x', labels: [], confusion: [] })).rejects.toThrow(PlotError);
  });
});
