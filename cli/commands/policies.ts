// The tenant policies file (VOICEPULSE_POLICIES / --policies) for the commands that score offline
// (`analyze`, `classify`), read and validated as `serve` reads it; a bad file is one line.
import { readFileSync } from 'node:fs';
import { detailOf } from '../../core/errors.ts';
import { parseTenantPolicies, type TenantPolicies, TenantPoliciesError } from '../../core/tenancy/policy.ts';
import { CliError } from '../errors.ts';

export function readTenantPolicies(path: string | undefined): TenantPolicies {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read tenant policies ${path}: ${(err as Error).message}`, 'FAILED', {
      cause: err,
    });
  }
  try {
    return parseTenantPolicies(text, path);
  } catch (err) {
    if (err instanceof TenantPoliciesError) throw new CliError(detailOf(err), 'FAILED', { cause: err });
    throw err;
  }
}
