// The tenant policies file (VOICEPULSE_POLICIES / --policies) for the commands that score offline
// (`analyze`, `classify`), read and validated as `serve` reads it; a bad file is one line.
import { readFileSync } from 'node:fs';
import { type TenantPolicies, tenantPoliciesSchema } from '../../core/tenancy/policy.ts';
import { CliError } from '../errors.ts';

export function readTenantPolicies(path: string | undefined): TenantPolicies {
  if (!path) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read tenant policies ${path}: ${(err as Error).message}`);
  }
  const parsed = tenantPoliciesSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(`invalid tenant policies in ${path}: ${parsed.error.message}`);
  return parsed.data;
}
