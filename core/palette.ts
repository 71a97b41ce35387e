// The one colour scheme of emotions and alert levels. The wallboard gets it as CSS custom properties
// (paletteCss, served by services/live/wallboard), the Grafana dashboards as per-field colour
// overrides (dashboards/palette.ts), so angry is the same red on every screen and in the docs.
import { EMOTIONS, type Emotion } from './emotions.ts';

export const EMOTION_COLORS: Readonly<Record<Emotion, string>> = {
  angry: '#e5484d',
  disgust: '#9c6ade',
  fear: '#f28c38',
  happy: '#3fb37f',
  neutral: '#8b95a3',
  sad: '#4a90e2',
};

/** Alert severities and the calm end of the frustration scale. */
export const LEVEL_COLORS = { calm: '#3fb37f', warning: '#f2b134', critical: '#e5484d' } as const;

/** `:root { --angry: …; …; --critical: … }` for pages styled with `var(--name)`. */
export function paletteCss(): string {
  const vars = [
    ...EMOTIONS.map((e) => `--${e}: ${EMOTION_COLORS[e]};`),
    ...Object.entries(LEVEL_COLORS).map(([k, v]) => `--${k}: ${v};`),
  ];
  return `:root {\n  ${vars.join('\n  ')}\n}\n`;
}
