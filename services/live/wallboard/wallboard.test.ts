import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWallboard } from './wallboard.ts';

describe('wallboard HTTP handler', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const wallboard = createWallboard();
    server = createServer((req, res) => {
      wallboard.handle(req, res).then((handled) => {
        if (!handled) {
          res.writeHead(418);
          res.end('not mine');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('redirects / to the board, keeping the query', async () => {
    const res = await fetch(`${base}/?tenant=demo&token=abc`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/wallboard/?tenant=demo&token=abc');
  });

  it.each([
    ['/wallboard/', 'text/html', '<title>VoicePulse wallboard</title>'],
    ['/wallboard/wallboard.js', 'text/javascript', 'new WebSocket('],
    ['/wallboard/wallboard.css', 'text/css', '.call'],
    ['/wallboard/vendor/uPlot.iife.min.js', 'text/javascript', 'uPlot'],
    ['/wallboard/vendor/uPlot.min.css', 'text/css', '.uplot'],
  ])('serves %s', async (path, type, snippet) => {
    const res = await fetch(base + path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain(type);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await res.text()).toContain(snippet);
  });

  /** A GET with the path exactly as given (fetch would normalise `..` away). */
  function rawGet(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${base}/`, { path }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves nothing outside its file list (no traversal) and only GET/HEAD', async () => {
    for (const path of ['/wallboard/nope.js', '/wallboard/vendor/uPlot.d.ts']) {
      expect((await rawGet(path)).status, path).toBe(404);
    }
    // `..` never escapes: URL parsing resolves it before the path is matched, so it is not ours.
    for (const path of ['/wallboard/../package.json', '/wallboard/%2e%2e/package.json']) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(418);
      expect(res.body, path).not.toContain('"name"');
    }
    expect((await fetch(`${base}/wallboard/`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${base}/wallboard/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('leaves other paths to the next handler', async () => {
    expect((await fetch(`${base}/api/calls`)).status).toBe(418);
    expect((await fetch(`${base}/healthz`)).status).toBe(418);
  });
});
