import { describe, expect, it } from 'vitest';
import { OvertalkMeter } from './overtalk.ts';

describe('OvertalkMeter', () => {
  it('counts frames where both sides speak, whichever side reports first', () => {
    const m = new OvertalkMeter(20);
    const a = [1, 1, 0, 1, 1];
    const b = [1, 0, 0, 1, 0];
    for (let i = 0; i < 3; i++) m.frame(0, i, a[i] === 1);
    for (let i = 0; i < 5; i++) m.frame(1, i, b[i] === 1);
    for (let i = 3; i < 5; i++) m.frame(0, i, a[i] === 1);
    expect(m.overtalkMs).toBe(40);
  });

  it('stays bounded when one side never sends audio', () => {
    const m = new OvertalkMeter(20, 10);
    for (let i = 0; i < 1000; i++) m.frame(0, i, true);
    m.frame(1, 995, true);
    expect(m.overtalkMs).toBe(20);
  });
});
