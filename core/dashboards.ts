// The Grafana dashboards' UIDs and the address of one call's timeline: dashboards/ builds the
// dashboards with the Grafana SDK (a devDependency, left out of the image); the live wallboard links
// to them at run time, so these live here, free of the SDK.
export const UID = {
  liveOperations: 'voicepulse-live-operations',
  customerSatisfaction: 'voicepulse-customer-satisfaction',
  agentPerformance: 'voicepulse-agent-performance',
  systemHealth: 'voicepulse-system-health',
  callTimeline: 'voicepulse-call-timeline',
} as const;

/** URL of the call-timeline dashboard of one call, below Grafana's base URL. */
export function callTimelineUrl(grafanaUrl: string, tenant: string, callId: string): string {
  const query = new URLSearchParams({ 'var-tenant': tenant, 'var-call_id': callId });
  return `${grafanaUrl.replace(/\/+$/, '')}/d/${UID.callTimeline}/call-timeline?${query}`;
}
