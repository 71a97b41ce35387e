import { describe, expect, it } from 'vitest';
import { EMOTIONS } from '../core/emotions.ts';
import { seededModel } from '../core/model/testing/tdnn.ts';
import { initTfjs, tf, weightTensors } from '../core/model/tfjs.ts';
import { distilledTarget, TDNN_SETTINGS } from './train-tdnn.ts';

describe('distilledTarget', () => {
  it('mixes the teacher’s mean member probabilities at the temperature with the smoothed label', async () => {
    await initTfjs();
    const [a, b] = [seededModel('t1'), seededModel('t2')];
    const teacher = { ...a, members: [a.members[0]!, b.members[0]!] };
    const cfg = teacher.network;
    const members = teacher.members.map((m) => weightTensors(cfg, m));
    const width = cfg.nMels + (cfg.prosody ? 3 : 0);
    const x = tf.randomNormal([3, cfg.frames, width], 0, 1, 'float32', 7) as tf.Tensor3D;
    const labels = tf.oneHot(tf.tensor1d([0, 2, 5], 'int32'), EMOTIONS.length) as tf.Tensor2D;
    const settings = { ...TDNN_SETTINGS, labelSmoothing: 0.1, distillation: { weight: 0.7, temperature: 2 } };
    const target = distilledTarget(labels, teacher, members, x, settings).arraySync();
    for (const row of target) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // Row 1's label is class 2: its share is 0.3 × (0.9 + 0.1 / 6) plus the teacher's.
    const teacherOnly = distilledTarget(labels, teacher, members, x, {
      ...settings,
      distillation: { weight: 1, temperature: 2 },
    }).arraySync();
    const labelOnly = distilledTarget(labels, teacher, members, x, {
      ...settings,
      distillation: { weight: 0, temperature: 2 },
    }).arraySync();
    expect(labelOnly[1]![2]).toBeCloseTo(0.9 + 0.1 / 6, 5);
    expect(labelOnly[1]![0]).toBeCloseTo(0.1 / 6, 5);
    for (let r = 0; r < 3; r++)
      for (let k = 0; k < 6; k++)
        expect(target[r]![k]).toBeCloseTo(0.7 * teacherOnly[r]![k]! + 0.3 * labelOnly[r]![k]!, 5);
    // A higher temperature flattens the teacher's distribution.
    const hot = distilledTarget(labels, teacher, members, x, {
      ...settings,
      distillation: { weight: 1, temperature: 20 },
    }).arraySync();
    const spread = (rows: number[][]) => Math.max(...rows.flat()) - Math.min(...rows.flat());
    expect(spread(hot)).toBeLessThan(spread(teacherOnly));
  });
});
