import { describe, expect, it } from 'vitest';
import { ConfigError, serveConfig } from './config.ts';

describe('serveConfig', () => {
  it('reads tenant tokens and refuses a bad query rate limit at startup', () => {
    expect(serveConfig({}, { VOICEPULSE_TENANT_TOKENS: 'acme=acme-token-0123456789' }).tenantTokens).toEqual({
      acme: 'acme-token-0123456789',
    });
    expect(() => serveConfig({}, { VOICEPULSE_QUERY_BURST: 'lots' })).toThrow(ConfigError);
    expect(() => serveConfig({}, { VOICEPULSE_TENANT_TOKENS: 'acme=short' })).toThrow(ConfigError);
  });
});
