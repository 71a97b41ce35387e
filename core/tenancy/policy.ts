// Per-tenant policy. Agent emotion scoring is off unless a tenant turns it on: the EU AI Act
// (Art. 5(1)(f)) prohibits inferring employees' emotions at work, call-centre agents included.
// A concurrent-call quota keeps one tenant from taking every slot of a process.
import { z } from 'zod';
import { alertRulesSchema, DEFAULT_ALERT_RULES } from '../alerts/rules.ts';
import { VoicePulseError } from '../errors.ts';

export const tenantPolicySchema = z.strictObject({
  agentEmotionScoring: z.boolean().default(false),
  alerts: alertRulesSchema.default(DEFAULT_ALERT_RULES),
  /** Webhook URLs that receive this tenant's alerts (POST, JSON body: the alert event). */
  webhooks: z.array(z.url()).default([]),
  /** Calls of this tenant streaming at once in one process; past it new ones are refused. Default: no quota. */
  maxConcurrentCalls: z.number().int().positive().optional(),
});
export type TenantPolicy = z.infer<typeof tenantPolicySchema>;

export const DEFAULT_POLICY: TenantPolicy = tenantPolicySchema.parse({});

export const tenantPoliciesSchema = z.record(z.string().min(1), tenantPolicySchema);
export type TenantPolicies = z.infer<typeof tenantPoliciesSchema>;

export type TenantPoliciesErrorCode =
  /** The policies file is not JSON. */
  | 'POLICIES_NOT_JSON'
  /** The JSON is not a map of tenant ids to valid policies. */
  | 'INVALID_POLICIES';

export class TenantPoliciesError extends VoicePulseError<TenantPoliciesErrorCode> {}

/**
 * The tenant policies file's text, validated: the one reader of `serve`, `analyze` and `classify`,
 * which read the file and report a failure in their own error type. `source` names the file.
 */
export function parseTenantPolicies(text: string, source: string): TenantPolicies {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TenantPoliciesError(
      'POLICIES_NOT_JSON',
      `cannot read tenant policies ${source}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const parsed = tenantPoliciesSchema.safeParse(raw);
  if (!parsed.success)
    throw new TenantPoliciesError(
      'INVALID_POLICIES',
      `invalid tenant policies in ${source}: ${parsed.error.message}`,
    );
  return parsed.data;
}

/** The tenant's policy, or the default (agent scoring off) for tenants not configured. */
export function policyFor(policies: TenantPolicies, tenantId: string): TenantPolicy {
  return policies[tenantId] ?? DEFAULT_POLICY;
}
