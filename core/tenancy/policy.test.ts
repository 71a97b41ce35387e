import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, parseTenantPolicies, policyFor, TenantPoliciesError } from './policy.ts';

describe('tenant policies', () => {
  it('parses a policies file, filling defaults, and falls back to the default policy', () => {
    const policies = parseTenantPolicies('{"acme":{"agentEmotionScoring":true}}', 'p.json');
    expect(policyFor(policies, 'acme')).toEqual({ ...DEFAULT_POLICY, agentEmotionScoring: true });
    expect(policyFor(policies, 'other')).toBe(DEFAULT_POLICY);
  });

  it('refuses text that is not JSON or not policies, naming the source', () => {
    expect(() => parseTenantPolicies('{', 'p.json')).toThrow(
      expect.objectContaining({ code: 'POLICIES_NOT_JSON', message: expect.stringContaining('p.json') }),
    );
    expect(() => parseTenantPolicies('{"acme":{"agentEmotion":"sometimes"}}', 'q.json')).toThrow(
      expect.objectContaining({ code: 'INVALID_POLICIES', message: expect.stringContaining('q.json') }),
    );
    expect(() => parseTenantPolicies('[]', 'r.json')).toThrow(TenantPoliciesError);
  });
});
