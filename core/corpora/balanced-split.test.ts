import { describe, expect, it } from 'vitest';
import { balancedGroupSplit, type SplitGroup } from './balanced-split.ts';

const speakers = (n: number, perSpeaker: number): SplitGroup[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `s${String(i).padStart(2, '0')}`,
    strata: { [`angry|${i % 2 ? 'm' : 'f'}`]: perSpeaker / 2, [`sad|${i % 2 ? 'm' : 'f'}`]: perSpeaker / 2 },
  }));

describe('balancedGroupSplit', () => {
  it('puts every group in exactly one split, with the requested group counts when sizes are equal', () => {
    const groups = speakers(22, 60);
    const r = balancedGroupSplit(groups, { train: 14, validation: 4, test: 4 }, 'seed');
    expect([r.train.length, r.validation.length, r.test.length]).toEqual([14, 4, 4]);
    expect([...r.train, ...r.validation, ...r.test].sort()).toEqual(groups.map((g) => g.id));
  });
  it('balances the strata (here gender) inside each split', () => {
    const r = balancedGroupSplit(speakers(22, 60), { train: 14, validation: 4, test: 4 }, 'seed');
    const males = (ids: string[]) => ids.filter((id) => Number(id.slice(1)) % 2 === 1).length;
    expect([males(r.train), males(r.validation), males(r.test)]).toEqual([7, 2, 2]);
  });
  it('is deterministic for a seed, independent of input order, and seed-dependent', () => {
    const groups = speakers(30, 10);
    const a = balancedGroupSplit(groups, { train: 0.7, validation: 0.15, test: 0.15 }, 'x');
    expect(
      balancedGroupSplit([...groups].reverse(), { train: 0.7, validation: 0.15, test: 0.15 }, 'x'),
    ).toEqual(a);
    expect(balancedGroupSplit(groups, { train: 0.7, validation: 0.15, test: 0.15 }, 'y')).not.toEqual(a);
  });
  it('keeps a class in every split when few groups carry it', () => {
    // Only four groups hold 'angry' (sizes 48, 28, 22, 2), as in URDU; the rest hold 'happy'.
    const groups: SplitGroup[] = [
      { id: 'a1', strata: { angry: 48 } },
      { id: 'a2', strata: { angry: 28 } },
      { id: 'a3', strata: { angry: 22 } },
      { id: 'a4', strata: { angry: 2 } },
      ...Array.from({ length: 20 }, (_, i) => ({ id: `h${i}`, strata: { happy: 5 } })),
    ];
    const r = balancedGroupSplit(groups, { train: 0.7, validation: 0.15, test: 0.15 }, 'seed');
    const angry = (ids: string[]) => ids.filter((id) => id.startsWith('a')).length;
    expect(angry(r.train)).toBeGreaterThan(0);
    expect(angry(r.test)).toBeGreaterThan(0);
    // The test split gets a substantial share of the class, not the 2-clip group.
    expect(r.test.some((id) => id === 'a2' || id === 'a3')).toBe(true);
    const happy = (ids: string[]) => ids.filter((id) => id.startsWith('h')).length;
    expect([happy(r.train), happy(r.validation), happy(r.test)]).toEqual([14, 3, 3]);
  });
  it('never leaves a split with a positive share empty', () => {
    const r = balancedGroupSplit(speakers(3, 2), { train: 0.9, validation: 0.05, test: 0.05 }, 'seed');
    expect([r.train.length, r.validation.length, r.test.length]).toEqual([1, 1, 1]);
  });
});
