import { describe, expect, it } from 'vitest';
import { AuthConfigError, authConfigFromEnv } from './tokens.ts';

describe('authConfigFromEnv', () => {
  it('reads tokens and the query rate limits that are set', () => {
    const config = authConfigFromEnv({
      VOICEPULSE_TOKEN: 'operator-token-0123456789',
      VOICEPULSE_TENANT_TOKENS: 'acme=acme-token-0123456789',
      VOICEPULSE_QUERY_RATE_PER_SECOND: '2.5',
      VOICEPULSE_QUERY_MAX_CONCURRENT: '4',
    });
    expect(config).toEqual({
      operatorToken: 'operator-token-0123456789',
      tenantTokens: { acme: 'acme-token-0123456789' },
      rateLimit: { ratePerSecond: 2.5, maxConcurrent: 4 },
    });
    expect(authConfigFromEnv({ VOICEPULSE_QUERY_BURST: '500' }).rateLimit).toEqual({ burst: 500 });
    expect(authConfigFromEnv({}).rateLimit).toBeUndefined();
  });

  it('refuses limits that are not positive numbers, naming the variable', () => {
    for (const [name, value] of [
      ['VOICEPULSE_QUERY_RATE_PER_SECOND', '0'],
      ['VOICEPULSE_QUERY_RATE_PER_SECOND', '-1'],
      ['VOICEPULSE_QUERY_RATE_PER_SECOND', 'fast'],
      ['VOICEPULSE_QUERY_BURST', '1.5'],
      ['VOICEPULSE_QUERY_BURST', '1e3'],
      ['VOICEPULSE_QUERY_MAX_CONCURRENT', '0'],
    ] as const) {
      expect(() => authConfigFromEnv({ [name]: value })).toThrow(AuthConfigError);
      expect(() => authConfigFromEnv({ [name]: value })).toThrow(name);
    }
  });
});
