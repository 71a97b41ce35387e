import { describe, expect, it } from 'vitest';
import {
  AuthConfigError,
  authenticate,
  mayAccessTenant,
  parseTenantSecrets,
  parseTenantTokens,
  secretWeakness,
} from './tokens.ts';

const OPERATOR = 'operator-token-0123456789';
const ACME = 'acme-token-0123456789';

describe('secretWeakness', () => {
  it('refuses short, placeholder and predictable secrets and accepts random ones', () => {
    expect(secretWeakness('abc')).toMatch(/shorter than 16/);
    for (const placeholder of ['change-me-change-me', 'replace-me-0123456789', 'choose-a-secret-0123'])
      expect(secretWeakness(placeholder)).toMatch(/placeholder/);
    expect(secretWeakness('aaaaaaaaaaaaaaaaaaaaaaaa')).toMatch(/predictable/);
    expect(secretWeakness('abababababababababababab')).toMatch(/predictable/);
    expect(secretWeakness('Zq3xV9pL2mW8rT6yK4nB7cD1')).toBeUndefined();
    expect(secretWeakness(ACME)).toBeUndefined();
  });
});

describe('parseTenantTokens', () => {
  it('reads tenant=token pairs and refuses weak tokens or missing tenants, one line each, never the token', () => {
    expect(parseTenantTokens(` acme=${ACME} , globex=globex-token-0123456789,`)).toEqual({
      acme: ACME,
      globex: 'globex-token-0123456789',
    });
    for (const bad of ['acme=q1w2', `=${ACME}`, ACME, 'acme=change-me-change-me-1']) {
      expect(() => parseTenantTokens(bad)).toThrow(AuthConfigError);
      expect(() => parseTenantTokens(bad)).toThrow(/^BAD_TENANT_SECRETS: VOICEPULSE_TENANT_TOKENS: /);
      try {
        parseTenantTokens(bad);
      } catch (err) {
        expect((err as Error).message).not.toContain(bad.split('=')[1] || '@@');
      }
    }
  });

  it('names the variable it parses', () => {
    expect(() => parseTenantSecrets('VOICEPULSE_TWILIO_AUTH_TOKENS', 'acme=x')).toThrow(
      /^BAD_TENANT_SECRETS: VOICEPULSE_TWILIO_AUTH_TOKENS: the secret of acme is shorter/,
    );
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
