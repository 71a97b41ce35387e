// Confusion-matrix heatmaps rendered to SVG by Vega-Lite/Vega in Node (headless 'none' renderer:
// no browser, no canvas, no network).
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { VoicePulseError } from '../core/errors.ts';

/** INVALID_PLOT: labels or counts that do not make a confusion matrix. */
export class PlotError extends VoicePulseError<'INVALID_PLOT'> {}

export interface ConfusionPlot {
  title: string;
  /** Class names, in the order of the matrix's rows and columns. */
  labels: readonly string[];
  /** confusion[truth][predicted] counts. */
  confusion: readonly (readonly number[])[];
}

/**
 * SVG heatmap of a confusion matrix: rows = true class, columns = predicted class; each cell shows
 * its count and its share of the row, and is coloured by that share (so small classes read as
 * clearly as large ones). Rows with no clips stay uncoloured.
 */
export async function confusionMatrixSvg(plot: ConfusionPlot): Promise<string> {
  const { labels, confusion } = plot;
  if (labels.length === 0) throw new PlotError('INVALID_PLOT', 'confusion plot needs at least one class');
  if (new Set(labels).size !== labels.length)
    throw new PlotError('INVALID_PLOT', 'confusion plot labels must be distinct');
  if (confusion.length !== labels.length || confusion.some((row) => row.length !== labels.length))
    throw new PlotError(
      'INVALID_PLOT',
      `confusion matrix must be ${labels.length}×${labels.length}, one row and column per label`,
    );
  if (confusion.some((row) => row.some((v) => !Number.isInteger(v) || v < 0)))
    throw new PlotError('INVALID_PLOT', 'confusion matrix cells must be non-negative integer counts');

  const values = confusion.flatMap((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, p) => ({
      truth: labels[t]!,
      predicted: labels[p]!,
      count,
      share: total > 0 ? count / total : null,
      text: total > 0 ? `${count} (${Math.round((100 * count) / total)} %)` : '–',
    }));
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: plot.title,
    data: { values },
    width: 66 * labels.length,
    height: 40 * labels.length,
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: [...labels], axis: { orient: 'top', labelAngle: 0 } },
      y: { field: 'truth', type: 'nominal', title: 'true class', sort: [...labels] },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white' },
        encoding: {
          color: {
            field: 'share',
            type: 'quantitative',
            title: 'share of row',
            scale: { domain: [0, 1], scheme: 'blues' },
            legend: { format: '.0%' },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'text', type: 'nominal' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' },
        },
      },
    ],
    config: { font: 'sans-serif', view: { stroke: null } },
  };
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
