import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  DEFAULT_STREAMING,
  modelStreaming,
  StreamingConfigError,
  streamingConfig,
} from './config.ts';

describe('modelStreaming', () => {
  it('takes the window and hop from the model when the settings leave them out', () => {
    expect(modelStreaming(DEFAULT_SETTINGS, { windowMs: 3000, hopMs: 500 })).toEqual({
      ...DEFAULT_SETTINGS,
      windowMs: 3000,
      hopMs: 500,
    });
    expect(modelStreaming(DEFAULT_STREAMING, { windowMs: 2000, hopMs: 1000 })).toEqual(DEFAULT_STREAMING);
  });

  it('refuses a configured window or hop that differs from the model’s', () => {
    const threeSecondModel = { windowMs: 3000, hopMs: 1000 };
    expect(() => modelStreaming(DEFAULT_STREAMING, threeSecondModel)).toThrow(StreamingConfigError);
    expect(() => modelStreaming(DEFAULT_STREAMING, threeSecondModel)).toThrow(
      "WINDOW_MISMATCH: the configured window (2000 ms every 1000 ms) differs from the model's (3000 ms every 1000 ms)",
    );
    expect(() =>
      modelStreaming({ ...DEFAULT_SETTINGS, hopMs: 500 }, { windowMs: 2000, hopMs: 1000 }),
    ).toThrow(/^WINDOW_MISMATCH: /);
  });

  it('refuses a model window the live path cannot cut', () => {
    expect(() => modelStreaming(DEFAULT_SETTINGS, { windowMs: 2000, hopMs: 3000 })).toThrow(
      /^INVALID_SETTINGS: .*hopMs must not exceed windowMs/,
    );
    expect(() => modelStreaming(DEFAULT_SETTINGS, { windowMs: 2010, hopMs: 1000 })).toThrow(
      /multiples of vadFrameMs/,
    );
  });
});

describe('streamingConfig', () => {
  it('fills in the defaults with the committed model’s window and validates overrides', () => {
    expect(streamingConfig()).toEqual(DEFAULT_STREAMING);
    expect(streamingConfig({ windowMs: 1000, hopMs: 1000 }).windowMs).toBe(1000);
    expect(() => streamingConfig({ hopMs: 5000 })).toThrow(/hopMs must not exceed windowMs/);
  });
});
