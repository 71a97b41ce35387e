import { describe, expect, it } from 'vitest';
import { AuthConfigError, authenticate, mayAccessTenant, parseTenantTokens } from './tokens.ts';

const OPERATOR = 'operator-token-0123456789';
const ACME = 'acme-token-0123456789';

describe('parseTenantTokens', () => {
  it('reads tenant=token pairs and refuses short tokens or missing tenants, one line each', () => {
    expect(parseTenantTokens(` acme=${ACME} , globex=globex-token-0123456789,`)).toEqual({
      acme: ACME,
      globex: 'globex-token-0123456789',
    });
    for (const bad of ['acme=short', `=${ACME}`, ACME]) {
      expect(() => parseTenantTokens(bad)).toThrow(AuthConfigError);
      expect(() => parseTenantTokens(bad)).toThrow(/^BAD_TENANT_TOKENS: VOICEPULSE_TENANT_TOKENS: /);
    }
  });
});

describe('authenticate', () => {
  const config = { operatorToken: OPERATOR, tenantTokens: { acme: ACME }, defaultTenant: 'acme' };

  it('names the principal of a known token and nobody for an unknown or missing one', () => {
    expect(authenticate(config, OPERATOR)).toEqual({ kind: 'operator', defaultTenant: 'acme' });
    expect(authenticate(config, ACME)).toEqual({ kind: 'tenant', tenantId: 'acme' });
    expect(authenticate(config, `${ACME}x`)).toBeUndefined();
    expect(authenticate(config, `Bearer ${ACME}`)).toBeUndefined();
    expect(authenticate(config, '')).toBeUndefined();
    expect(authenticate(config, undefined)).toBeUndefined();
  });

  it('refuses every token when none is configured', () => {
    expect(authenticate({}, OPERATOR)).toBeUndefined();
  });

  it('lets the operator reach any tenant and a tenant token only its own', () => {
    expect(mayAccessTenant(authenticate(config, OPERATOR)!, 'globex')).toBe(true);
    expect(mayAccessTenant(authenticate(config, ACME)!, 'acme')).toBe(true);
    expect(mayAccessTenant(authenticate(config, ACME)!, 'globex')).toBe(false);
  });
});
