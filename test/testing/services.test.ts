import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CHROMIUM_ARGS,
  probeService,
  requireService,
  ServiceConfigError,
  ServiceUnavailableError,
  serviceEndpoint,
} from './services.ts';

/** A loopback port that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

describe('serviceEndpoint', () => {
  it('reads the VOICEPULSE_TEST_* variables', () => {
    const env = {
      VOICEPULSE_TEST_CLICKHOUSE_URL: 'http://10.1.2.3:8124/',
      VOICEPULSE_TEST_KAFKA_BROKERS: 'a:1, b.example:29092,[::1]:9092',
      VOICEPULSE_TEST_CHROMIUM: '/opt/chrome',
    };
    expect(serviceEndpoint('clickhouse', env)).toEqual({ url: 'http://10.1.2.3:8124' });
    expect(serviceEndpoint('kafka', env)).toEqual({ brokers: ['a:1', 'b.example:29092', '[::1]:9092'] });
    expect(serviceEndpoint('chromium', env)).toEqual({ executablePath: '/opt/chrome', args: CHROMIUM_ARGS });
  });

  it('falls back to the addresses deploy/local/up.sh uses when unset or blank', () => {
    const env = { VOICEPULSE_TEST_KAFKA_BROKERS: '  ' };
    expect(serviceEndpoint('clickhouse', env).url).toBe('http://127.0.0.1:8123');
    expect(serviceEndpoint('kafka', env).brokers).toEqual(['127.0.0.1:9092']);
    expect(serviceEndpoint('chromium', env).executablePath).toBe('/usr/bin/chromium');
  });

  it('rejects values that cannot be addresses with a typed error', () => {
    expect(() => serviceEndpoint('clickhouse', { VOICEPULSE_TEST_CLICKHOUSE_URL: '127.0.0.1:8123' })).toThrow(
      ServiceConfigError,
    );
    expect(() => serviceEndpoint('kafka', { VOICEPULSE_TEST_KAFKA_BROKERS: 'host-without-port' })).toThrow(
      /not host:port/,
    );
    expect(() => serviceEndpoint('kafka', { VOICEPULSE_TEST_KAFKA_BROKERS: 'h:70000' })).toThrow(
      ServiceConfigError,
    );
  });
});

describe('requireService when the service is down', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('fails in CI with the reason and how to start it', async () => {
    const env = { CI: 'true', VOICEPULSE_TEST_KAFKA_BROKERS: `127.0.0.1:${await closedPort()}` };
    const error = await requireService('kafka', env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).message).toMatch(/kafka required in CI.*cannot connect.*deploy\/local\/up\.sh/);
  });

  it('skips loudly outside CI', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const env = { VOICEPULSE_TEST_CLICKHOUSE_URL: `http://127.0.0.1:${await closedPort()}` };
    expect(await requireService('clickhouse', env)).toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/SKIPPING clickhouse tests/));
  });

  it('treats a missing browser binary as unavailable', async () => {
    const reason = await probeService('chromium', { executablePath: '/nonexistent/chromium', args: [] });
    expect(reason).toMatch(/not an executable/);
  });
});

describe('probeService against something that answers', () => {
  it('accepts any listening broker port', async () => {
    const server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    try {
      expect(await probeService('kafka', { brokers: [`127.0.0.1:${address.port}`] })).toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
