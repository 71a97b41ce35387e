import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: (string | { type?: string; source?: string })[];
  env_file?: string | string[];
  depends_on?: string[] | Record<string, unknown>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

// Compose resolves `<<` merge keys (YAML 1.1); the yaml package does so only when asked.
const compose = parse(readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as ComposeFile;
const services = Object.entries(compose.services ?? {});

/** A volume entry's source and whether it is a host path (bind) or a named volume. */
function volumeSource(entry: string | { type?: string; source?: string }): { source: string; bind: boolean } {
  const source = typeof entry === 'string' ? (entry.split(':')[0] ?? '') : (entry.source ?? '');
  const bind = typeof entry === 'string' ? /^[./~]/.test(source) : entry.type === 'bind';
  return { source, bind };
}

describe('docker-compose.yml', () => {
  it('defines the product services and their dependencies', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['alerts', 'clickhouse', 'gateway', 'grafana', 'kafka', 'query', 'sink', 'worker'].sort(),
    );
  });

  it.each(services)('%s has an image or build and a health check', (_name, service) => {
    expect(service.image ?? service.build).toBeTruthy();
    expect(service.healthcheck?.disable).not.toBe(true);
    expect(service.healthcheck?.test?.length).toBeGreaterThan(0);
  });

  it.each(services)('%s references only local paths, volumes and services that exist', (_name, service) => {
    const build = typeof service.build === 'string' ? { context: service.build } : service.build;
    if (build) {
      const context = resolve(ROOT, build.context ?? '.');
      expect(existsSync(context), `build context ${context}`).toBe(true);
      const dockerfile = resolve(context, build.dockerfile ?? 'Dockerfile');
      expect(existsSync(dockerfile), `dockerfile ${dockerfile}`).toBe(true);
    }
    for (const entry of service.volumes ?? []) {
      const { source, bind } = volumeSource(entry);
      if (bind) {
        expect(isAbsolute(source), `bind mount ${source} must be relative to the repo`).toBe(false);
        expect(existsSync(resolve(ROOT, source)), `bind mount source ${source}`).toBe(true);
      } else {
        expect(Object.keys(compose.volumes ?? {}), `named volume ${source}`).toContain(source);
      }
    }
    for (const file of [service.env_file ?? []].flat()) {
      expect(existsSync(resolve(ROOT, file)), `env_file ${file}`).toBe(true);
    }
    const deps = Array.isArray(service.depends_on)
      ? service.depends_on
      : Object.keys(service.depends_on ?? {});
    for (const dep of deps) expect(Object.keys(compose.services), `depends_on ${dep}`).toContain(dep);
  });

  it('runs the Kafka version CI runs (deploy/local/kafka/pom.xml)', () => {
    const pom = readFileSync(resolve(ROOT, 'deploy/local/kafka/pom.xml'), 'utf8');
    const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
    expect(version).toMatch(/^3\.9\.\d+$/);
    expect(compose.services.kafka?.image).toBe(`apache/kafka:${version}`);
  });
});
