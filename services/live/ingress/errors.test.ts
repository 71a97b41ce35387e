import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { asIngressError, INGRESS_ERROR_CODES, IngressError, reasonOf, wireOf } from './errors.ts';

describe('the ingress error table', () => {
  it('gives each code one close code, one kebab-case reason and one gRPC status', () => {
    expect(wireOf(new IngressError('CALL_LIMIT', 'x'))).toEqual({
      close: 1013,
      reason: 'call-limit',
      grpc: status.RESOURCE_EXHAUSTED,
    });
    expect(wireOf(new IngressError('UNAUTHORIZED', 'x'))).toEqual({
      close: 1008,
      reason: 'unauthorized',
      grpc: status.UNAUTHENTICATED,
    });
    expect(wireOf(new IngressError('DUPLICATE_CALL', 'x')).grpc).toBe(status.ALREADY_EXISTS);
    expect(wireOf(new IngressError('IDLE_TIMEOUT', 'x')).close).toBe(4408);
    expect(reasonOf('BINARY_NOT_SUPPORTED')).toBe('binary-not-supported');
  });

  it('keeps its own errors and wraps anything else as INTERNAL_ERROR (1011) with the cause', () => {
    const ours = new IngressError('BAD_FRAME', 'odd bytes');
    expect(asIngressError(ours)).toBe(ours);
    const bug = new TypeError('undefined is not a function');
    const wrapped = asIngressError(bug);
    expect(wrapped.code).toBe('INTERNAL_ERROR');
    expect(wrapped.cause).toBe(bug);
    expect(wireOf(wrapped)).toMatchObject({ close: 1011, reason: 'internal-error', grpc: status.INTERNAL });
    expect(asIngressError('text').message).toBe('INTERNAL_ERROR: text');
  });
});

describe('services/live/README.md', () => {
  it('documents every code with the close code and gRPC status of the table', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z0-9-]+)` \| (\d{4}) \| ([A-Z_]+) \|/gm)].map((m) =>
      m.slice(1),
    );
    const table = INGRESS_ERROR_CODES.map((code) => {
      const wire = wireOf(new IngressError(code, ''));
      return [wire.reason, String(wire.close), status[wire.grpc]];
    });
    expect(rows).toEqual(table);
  });
});
