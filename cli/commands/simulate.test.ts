import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'voicepulse.js');
const execFileAsync = promisify(execFile);
const TOKEN = 'a-long-enough-test-token-0123456789';

async function simulate(
  protocol: string,
  url: string,
  extra: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const call = ['--calls', '1', '--protocol', protocol, '--url', url, '--token', TOKEN];
  const args = [BIN, 'simulate', ...call, ...extra];
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, args, { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A server that refuses every request and upgrade with 401, as the live server does a wrong token. */
let refusing: Server;
let refusingUrl: string;
beforeAll(async () => {
  refusing = createServer((_req, res) => res.writeHead(401).end('unauthorized'));
  refusing.on('upgrade', (_req, socket) =>
    socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n'),
  );
  await new Promise<void>((done) => refusing.listen(0, '127.0.0.1', done));
  refusingUrl = `ws://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => refusing.close(() => done())));

/** A port nothing listens on: bind one, note it, close it. */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((done) => s.close(() => done()));
  return `ws://127.0.0.1:${port}`;
}

describe('voicepulse simulate against an unreachable or refusing server: one line on stderr, exit 4', () => {
  for (const protocol of ['twilio', 'audiohook', 'native', 'grpc']) {
    it(`${protocol}, closed port`, async () => {
      const r = await simulate(protocol, await closedPortUrl());
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/^voicepulse: cannot reach .*ECONNREFUSED.*\n$/);
    });
  }
  for (const protocol of ['twilio', 'audiohook', 'native']) {
    it(`${protocol}, wrong token`, async () => {
      const r = await simulate(protocol, refusingUrl);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/^voicepulse: cannot reach ws:\/\/127\.0\.0\.1:\d+: .*401.*\n$/);
    });
  }
});

describe('voicepulse simulate against a server that refuses or cuts its calls', () => {
  it('reports the calls as failed with their close code (exit 1), not the server as unreachable', async () => {
    const { WebSocketServer } = await import('ws');
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    server.on('connection', (ws) => ws.once('message', () => ws.close(1013, 'at capacity')));
    await new Promise<void>((done) => server.once('listening', () => done()));
    try {
      const r = await simulate('native', `ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toContain('0 completed, 1 failed');
      expect(r.stdout).toContain('error: server closed the call: 1013 at capacity');
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});

describe('voicepulse simulate --phases', () => {
  it('refuses a value other than together or spread with one usage line (exit 2)', async () => {
    const r = await simulate('native', await closedPortUrl(), ['--phases', 'random']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("voicepulse: --phases must be one of together, spread, got 'random'\n");
  });
});
