import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { sendJson } from './http.ts';

describe('sendJson', () => {
  it('answers UTF-8 JSON with its byte length, uncached, with extra headers added', async () => {
    const server = createServer((_req, res) => sendJson(res, 202, { name: 'café' }, { location: '/x' }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const address = server.address();
      const res = await fetch(
        `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
      );
      expect(res.status).toBe(202);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength('{"name":"café"}')));
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('location')).toBe('/x');
      expect(await res.json()).toEqual({ name: 'café' });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
