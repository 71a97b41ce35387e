// Every VoicePulse dashboard and the file it is generated to (dashboards/generated/<file>).
import { fileURLToPath } from 'node:url';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { agentPerformance } from './agent-performance.ts';
import { callTimeline } from './call-timeline.ts';
import { customerSatisfaction } from './customer-satisfaction.ts';
import { liveOperations } from './live-operations.ts';
import { systemHealth } from './system-health.ts';

export const GENERATED_DIR = fileURLToPath(new URL('./generated/', import.meta.url));

export const DASHBOARDS: Readonly<Record<string, () => Dashboard>> = {
  'live-operations.json': liveOperations,
  'customer-satisfaction.json': customerSatisfaction,
  'agent-performance.json': agentPerformance,
  'system-health.json': systemHealth,
  'call-timeline.json': callTimeline,
};

/** The exact text committed for a dashboard: stable key order as built, two-space indent, final newline. */
export function renderDashboard(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
