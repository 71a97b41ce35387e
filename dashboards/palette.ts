// Emotion series take their colours from core/palette.ts (the wallboard's too), not Grafana's
// palette order, which would colour the first series (angry) green.
import type { DynamicConfigValue } from '@grafana/grafana-foundation-sdk/dashboard';
import { EMOTIONS } from '../core/emotions.ts';
import { EMOTION_COLORS } from '../core/palette.ts';

interface OverridablePanel<T> {
  overrideByName(name: string, properties: DynamicConfigValue[]): T;
}

/** Gives each emotion field of `panel` its fixed colour. */
export function withEmotionColors<T extends OverridablePanel<T>>(panel: T): T {
  return EMOTIONS.reduce(
    (p, e) => p.overrideByName(e, [{ id: 'color', value: { mode: 'fixed', fixedColor: EMOTION_COLORS[e] } }]),
    panel,
  );
}
