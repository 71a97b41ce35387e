// What names a call everywhere in VoicePulse (ingress, scoring, events, storage): its id, the
// tenant it belongs to, and the agent, queue and customer when the carrier says so. Ids are
// opaque strings of 1–128 characters; every ingress validates them with this schema at the start of
// a call, so nothing downstream meets an empty or unbounded id.
import { z } from 'zod';

export const MAX_ID_LENGTH = 128;

export const idSchema = z.string().min(1).max(MAX_ID_LENGTH);

export const callMetaSchema = z.strictObject({
  callId: idSchema,
  tenantId: idSchema,
  agentId: idSchema.nullable(),
  queue: idSchema.nullable(),
  /** The caller or customer as the carrier names them; personal data, never logged (core/events/README.md). */
  customerId: idSchema.optional(),
});

export type CallMeta = z.infer<typeof callMetaSchema>;

/**
 * A call's name as a map key: call ids are scoped per tenant, so two tenants' calls with one id are
 * two calls. The tenant's length comes first, so no pair of ids can spell another pair's key.
 */
export function callKey(call: Pick<CallMeta, 'tenantId' | 'callId'>): string {
  return `${call.tenantId.length}:${call.tenantId}/${call.callId}`;
}
