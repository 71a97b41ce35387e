import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { classificationReport } from '../core/evaluation/classification.ts';
import { COMMITTED_MODEL_VERSION, loadModel } from '../core/model/format.ts';
import { seededModel } from '../core/model/testing/tdnn.ts';
import type { CorpusEvaluation } from './evaluate.ts';
import { licensingSection, refreshConfusionSection, writeModelCard } from './model-card.ts';
import type { Evaluation } from './pipeline.ts';
import { TDNN_SETTINGS } from './train-tdnn.ts';

const onehot = (c: number) => Float32Array.from({ length: 6 }, (_, i) => (i === c ? 1 : 0));

/** A trained-looking model (seed 'card-seed', three RAVDESS test clips) with the given evaluation. */
function cardModel(evaluation: Record<string, unknown>) {
  return {
    ...seededModel('card', 'emotion-card-test'),
    metadata: {
      settings: { ...TDNN_SETTINGS, seed: 'card-seed' },
      data: { ravdess: { train: 10, validation: 4, test: 3 } },
      evaluation,
    },
  };
}

/** A corpus evaluation whose utterances have the given (truth, predicted) pairs. */
function evaluation(corpus: CorpusEvaluation['corpus'], pairs: [number, number][]): CorpusEvaluation {
  const report = classificationReport(
    pairs.map(([, p]) => onehot(p)),
    pairs.map(([t]) => t),
    6,
  );
  return { corpus, window: report, utterance: report };
}

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('refreshConfusionSection', () => {
  it('redraws every corpus table with a linked SVG and leaves the rest of the card alone', async () => {
    dir = mkdtempSync(join(tmpdir(), 'card-'));
    const card = join(dir, 'card.md');
    const before = '# Card\n\nspeed 1234× real time\n\nConfusion matrices (utterances):\n\nstale table';
    const after = '\n\n## Robustness\n\nUA 51.2\n';
    writeFileSync(card, before + after);
    const ravdess = evaluation('ravdess', [
      [0, 0],
      [0, 3],
      [5, 5],
    ]);
    const tess = evaluation('tess', [
      [1, 1],
      [2, 4],
    ]);
    await refreshConfusionSection(card, [ravdess, tess]);

    const text = readFileSync(card, 'utf8');
    expect(text.startsWith('# Card\n\nspeed 1234× real time\n\nConfusion matrices (utterances):\n\n')).toBe(
      true,
    );
    expect(text.endsWith(after)).toBe(true);
    expect(text).not.toContain('stale table');
    expect(text).toContain('| angry | 1 | 0 | 0 | 1 | 0 | 0 |');
    expect(text).toContain('| fear | 0 | 0 | 0 | 0 | 1 | 0 |');
    for (const corpus of ['ravdess', 'tess']) {
      expect(text).toContain(`![${corpus} confusion matrix](img/confusion-${corpus}.svg)`);
      const svg = join(dir, 'img', `confusion-${corpus}.svg`);
      expect(existsSync(svg)).toBe(true);
      expect(readFileSync(svg, 'utf8')).toContain(`${corpus}: held-out test utterances`);
    }
    expect(readFileSync(join(dir, 'img', 'confusion-ravdess.svg'), 'utf8')).toContain('1 (50 %)');
  });

  it('rejects a card without a confusion section', async () => {
    dir = mkdtempSync(join(tmpdir(), 'card-'));
    const card = join(dir, 'card.md');
    writeFileSync(card, '# Card\n\n## Data\n');
    await expect(refreshConfusionSection(card, [])).rejects.toThrow(/no 'Confusion matrices/);
    expect(readFileSync(card, 'utf8')).toBe('# Card\n\n## Data\n');
  });
});

/** RAVDESS test utterances: neutral and angry right, sad taken for disgust. */
const twoOfThree = () => [
  evaluation('ravdess', [
    [0, 0],
    [4, 4],
    [5, 1],
  ]),
];

describe('writeModelCard', () => {
  it('renders what the run produced: its settings, data, test results and the speed measured now', async () => {
    dir = mkdtempSync(join(tmpdir(), 'card-'));
    const card = join(dir, 'card.md');
    const test = twoOfThree();
    const model = cardModel({ test });
    await writeModelCard(card, model, join(dir, 'model'));
    const text = readFileSync(card, 'utf8');
    expect(text.startsWith('# Model card: emotion-card-test\n')).toBe(true);
    expect(text).toContain('Seed `card-seed`');
    expect(text).toContain('| ravdess | 10 | 4 | 3 |');
    // The speed table: one row per runtime installed here, measured while writing.
    expect(text).toMatch(/\| tfjs-wasm \| \*\*\d+×\*\* \|/);
    expect(text).toMatch(/\| onnx \| \*\*\d+×\*\* \|/);
    expect(text).toContain('![ravdess confusion matrix](img/confusion-ravdess.svg)');
    // No history: that is docs/model-history.md, written by hand.
    expect(text).toContain('`docs/model-history.md`');
    expect(text).not.toMatch(/What was tried|emotion-tdnn-v[123]|Runtime measurements/);
    // No section for what this run did not produce.
    expect(text).not.toMatch(/## (Robustness|Cross-corpus|Speaker folds|Compared with)/);
    // Licensing of what it trained on, linked to the licensing guide from wherever the card is.
    expect(text).toContain('## Licensing');
    expect(text).toContain('| RAVDESS | CC BY-NC-SA 4.0 |');
    expect(text).toContain('**Treat these weights as non-commercial.** RAVDESS is licensed');
    expect(text).toContain(
      `[docs/licensing.md](${relative(dir, resolve(import.meta.dirname, '..', 'docs', 'licensing.md'))})`,
    );
  }, 120_000);

  it('says by how much each missed target misses, the cross-corpus one against the baseline', async () => {
    dir = mkdtempSync(join(tmpdir(), 'card-'));
    const card = join(dir, 'card.md');
    // Product path: 1 of 3 right (UA over its three classes 33.3 %); cross-corpus 2 of 3 against the baseline's 3 of 3.
    const one = evaluation(
      'ravdess',
      [0, 4, 5].map((c): [number, number] => [c, 0]),
    );
    const all = evaluation(
      'ravdess',
      [0, 4, 5].map((c): [number, number] => [c, c]),
    );
    const old = { ...cardModel({ test: [all], crossCorpus: [all] }), version: 'old' };
    const model = cardModel({ test: [one], product: [one], crossCorpus: twoOfThree() });
    await writeModelCard(card, model, join(dir, 'model'), old);
    const text = readFileSync(card, 'utf8');
    expect(text).toContain(
      '| RAVDESS six-class UA ≥ 66 % (goal 75 %) | 33.3 % — NOT met (32.7 points short) |',
    );
    expect(text).toContain(
      "| Leave-one-corpus-out mean UA no worse than old's (100.0 %) | 66.7 % — NOT met (33.3 points lower) |",
    );
  }, 120_000);

  it('heads its test tables and targets with the product path’s numbers when the run has them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'card-'));
    const card = join(dir, 'card.md');
    // Training-time: 2 of 3 right (UA 66.7 over its classes); product path: 3 of 3.
    const test = twoOfThree();
    const product = [
      evaluation('ravdess', [
        [0, 0],
        [4, 4],
        [5, 5],
      ]),
    ];
    const model = cardModel({ test, product, baseline: { version: 'old', test, product: test } });
    await writeModelCard(card, model, join(dir, 'model'));
    const text = readFileSync(card, 'utf8');
    const held = text.slice(text.indexOf('## Held-out test results'));
    expect(held).toContain('Through the product path');
    const first = held.match(/\| ravdess \| 3 \| ([\d.]+) \|/)!;
    expect(first[1]).toBe((100 * product[0]!.utterance.ua).toFixed(1));
    expect(held).toContain('Training-time evaluation of the same clips');
    expect(text).toMatch(/RAVDESS six-class UA ≥ 66 % \(goal 75 %\) \| 100\.0 % — met/);
    expect(text).toContain('| EMOVO ≥ 45 % | corpus absent |');
    expect(text).toMatch(
      /Stream path ≥ 2,000× real time per core \(ONNX Runtime\) \| \d+× here — NOT met \([\d.]+× short\)/,
    );
    expect(text).toContain(
      '| corpus | old | emotion-card-test | old (product path) | emotion-card-test (product path) |',
    );
  }, 120_000);
});

describe('licensingSection', () => {
  it('credits each restricted corpus and says the weights are non-commercial', () => {
    const text = licensingSection(['ravdess', 'tess', 'emovo', 'urdu'], 'licensing.md');
    expect(text).toContain('| TESS | CC BY-NC-ND 4.0 |');
    expect(text).toContain('| EMOVO | research use, from its authors |');
    expect(text).toContain(
      'RAVDESS, TESS, EMOVO, URDU are licensed for\nnon-commercial or research use only',
    );
    expect(text).toContain('A commercial deployment needs a model trained on data you have rights to');
    expect(text.match(/^- /gm)).toHaveLength(4);
    expect(text).toContain('](licensing.md)');
  });

  it('makes no non-commercial claim for a model of your own recordings alone', () => {
    const text = licensingSection(['custom'], '../docs/licensing.md');
    expect(text).toContain('| your own recordings | yours: whatever rights you hold |');
    expect(text).not.toContain('non-commercial');
    expect(text).not.toContain('credits:');
  });
});

describe('the committed model card', () => {
  // A full training run writes docs/model-card.md by default; a candidate's card once reached a commit.
  it('describes the committed model: its name and its product-path test UA per corpus', () => {
    const card = readFileSync(fileURLToPath(new URL('../docs/model-card.md', import.meta.url)), 'utf8');
    const model = loadModel();
    expect(card.split('\n')[0]).toBe(`# Model card: ${COMMITTED_MODEL_VERSION}`);
    const product = (model.metadata.evaluation as Evaluation).product!;
    const table = card.slice(card.indexOf('Per utterance'));
    for (const e of product) {
      const row = `| ${e.corpus} | ${e.utterance.n} | ${(100 * e.utterance.ua).toFixed(1)} |`;
      const first = table.split('\n').find((l) => l.startsWith(`| ${e.corpus} |`));
      expect(first?.startsWith(row), `${e.corpus}: ${first} does not start with ${row}`).toBe(true);
    }
  });
});
