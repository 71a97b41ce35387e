import { describe, expect, it } from 'vitest';
import { detailOf, VoicePulseError } from './errors.ts';

class DemoError extends VoicePulseError<'BAD_THING' | 'OTHER'> {}

describe('VoicePulseError', () => {
  it('leads its message with the code, names its subclass and keeps the cause', () => {
    const cause = new Error('root');
    const err = new DemoError('BAD_THING', 'it broke', { cause });
    expect(err.message).toBe('BAD_THING: it broke');
    expect(err.name).toBe('DemoError');
    expect(err.code).toBe('BAD_THING');
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(VoicePulseError);
    expect(detailOf(err)).toBe('it broke');
  });
});
