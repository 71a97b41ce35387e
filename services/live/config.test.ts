import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from '../../core/config/env.ts';
import { DEFAULT_PORT, defaultScoringThreads, serveConfig } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'vp-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('defaultScoringThreads', () => {
  it('leaves a core to the gateway from three cores on, and takes every core of one or two', () => {
    expect([1, 2, 3, 4, 16].map((cores) => defaultScoringThreads(cores))).toEqual([1, 2, 2, 3, 15]);
  });

  it('is what serve runs unless a flag or VOICEPULSE_THREADS says otherwise', () => {
    expect(serveConfig({}, parseEnv({})).threads).toBe(defaultScoringThreads());
    expect(serveConfig({}, parseEnv({ VOICEPULSE_THREADS: '5' })).threads).toBe(5);
    expect(serveConfig({ threads: 0 }, parseEnv({ VOICEPULSE_THREADS: '5' })).threads).toBe(0);
  });
});

describe('serveConfig', () => {
  it('takes flags over the environment over the defaults', () => {
    const settings = parseEnv({
      VOICEPULSE_PORT: '9000',
      VOICEPULSE_TOKEN: 'Op3rator-t0ken-9f8e7d6c5b',
      VOICEPULSE_TENANT_TOKENS: 'acme=acme-token-0123456789',
      VOICEPULSE_QUERY_BURST: '20',
      VOICEPULSE_KAFKA_BROKERS: 'env:9092',
    });
    const fromEnv = serveConfig({}, settings);
    expect(fromEnv).toMatchObject({
      port: 9000,
      grpcPort: 9001,
      token: 'Op3rator-t0ken-9f8e7d6c5b',
      tokenGenerated: false,
    });
    expect(fromEnv.auth).toEqual({
      operatorToken: 'Op3rator-t0ken-9f8e7d6c5b',
      tenantTokens: { acme: 'acme-token-0123456789' },
      defaultTenant: undefined,
    });
    expect(fromEnv.rateLimit).toMatchObject({ burst: 20 });
    expect(fromEnv.pipeline.kafka.brokers).toEqual(['env:9092']);
    expect(fromEnv.pipeline.clickhouse.url).toBeUndefined();
    const flagged = serveConfig({ port: 0, kafka: ['flag:9092'], clickhouse: 'http://flag:8123' }, settings);
    expect(flagged).toMatchObject({ port: 0, grpcPort: 0 });
    expect(flagged.pipeline.kafka.brokers).toEqual(['flag:9092']);
    expect(flagged.pipeline.clickhouse).toMatchObject({ url: 'http://flag:8123', database: 'voicepulse' });
    const limited = serveConfig(
      { host: '10.0.0.5' },
      parseEnv({ VOICEPULSE_MAX_SCORING_LAG_MS: '900', VOICEPULSE_LIVE_METRICS_PORT: '9465' }),
    );
    expect(limited.limits.maxScoringLagMs).toBe(900);
    expect(limited.metricsListener).toEqual({ host: '10.0.0.5', port: 9465 });
    const defaults = serveConfig({}, parseEnv({}));
    expect(defaults.metricsListener).toBeUndefined();
    expect(defaults).toMatchObject({ port: DEFAULT_PORT, grpcPort: DEFAULT_PORT + 1, tokenGenerated: true });
    expect(defaults.token.length).toBeGreaterThanOrEqual(20);
    expect(defaults.auth.operatorToken).toBe(defaults.token);
  });

  it('refuses an unreadable or invalid policies file with the file named', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ acme: { agentEmotion: 'sometimes' } }));
    for (const path of [bad, join(dir, 'missing.json')]) {
      expect(() => serveConfig({ policies: path }, parseEnv({}))).toThrow(ConfigError);
      expect(() => serveConfig({ policies: path }, parseEnv({}))).toThrow(
        expect.objectContaining({ code: 'INVALID_POLICIES', message: expect.stringContaining(path) }),
      );
    }
  });
});
