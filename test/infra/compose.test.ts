// No Docker engine runs in CI, so the deployment bundle is checked structurally: docker-compose.yml,
// the Grafana/Prometheus provisioning and the Kubernetes manifests must reference only things that
// exist and agree with the code's configuration (commands, environment names, ports, paths, uids).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { registerServeCommand } from '../../cli/commands/serve.ts';
import { ENV_NAMES, parseEnv } from '../../core/config/env.ts';
import { CLICKHOUSE, PROMETHEUS } from '../../dashboards/datasources.ts';
import { DASHBOARDS } from '../../dashboards/index.ts';
import { DEFAULT_PORT, serveConfig } from '../../services/live/config.ts';
import { WS_PATHS } from '../../services/live/ingress/websocket.ts';
import { WALLBOARD_PATH } from '../../services/live/wallboard/wallboard.ts';
import { analyticsConfig } from '../../services/sink/analytics.ts';
import { composeEnvironment } from './testing/compose.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');

type Volume = string | { type?: string; source?: string; target?: string };
interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: Volume[];
  env_file?: string | string[];
  depends_on?: string[] | Record<string, unknown>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

// Compose resolves `<<` merge keys (YAML 1.1); the yaml package does so only when asked.
const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const services = Object.entries(compose.services ?? {});
const product = services.filter(([, s]) => s.image?.startsWith('voicepulse:'));

/** Every VOICEPULSE_* name the product reads: its one environment schema (old names excluded). */
const envNamesInCode = new Set(ENV_NAMES);
const defaults = parseEnv({});
/** The live service's own modules (services/live/*.ts, tests aside): where its HTTP paths are routed. */
const liveSource = readdirSync(resolve(ROOT, 'services/live'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => read(join('services/live', f)))
  .join('\n');
/** What an operator exports before `docker compose up`. */
const SHELL_TOKEN = 'c0mp0se-test-token-8f3a91d2';

function volumeParts(entry: Volume): { source: string; target: string; bind: boolean } {
  if (typeof entry === 'string') {
    const [source = '', target = ''] = entry.split(':');
    return { source, target, bind: /^[./~]/.test(source) };
  }
  return { source: entry.source ?? '', target: entry.target ?? '', bind: entry.type === 'bind' };
}

function healthText(s: ComposeService): string {
  return [s.healthcheck?.test ?? []].flat().join(' ');
}

/**
 * Whether the Dockerfile creates `dir` and gives it to the user the image runs as: a new volume
 * mounted there takes the folder's owner.
 */
function imageMakesWritable(dir: string): boolean {
  const dockerfile = read('Dockerfile');
  const user = /^USER (\S+)$/m.exec(dockerfile)?.[1] ?? 'root';
  const made = new RegExp(`^RUN mkdir -p ${dir} && chown -R ${user}:${user} (\\S+)$`, 'm').exec(dockerfile);
  return made !== null && `${dir}/`.startsWith(`${made[1]}/`);
}

/** A container's environment variables that carry a literal value (not a secret or field reference). */
function literalEnv(container: { env: { name: string; value?: string }[] }): Record<string, string> {
  return Object.fromEntries(
    container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]),
  );
}

describe('docker-compose.yml', () => {
  it('runs the product, its stores and its observability', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['clickhouse', 'grafana', 'kafka', 'kafka-exporter', 'prometheus', 'sink', 'voicepulse'].sort(),
    );
  });

  it.each(services)('%s has an image or build and a health check', (_name, service) => {
    expect(service.image ?? service.build).toBeTruthy();
    expect(service.healthcheck?.disable).not.toBe(true);
    expect(healthText(service).length).toBeGreaterThan(0);
  });

  it.each(services)('%s references only local paths, volumes and services that exist', (_name, service) => {
    const build = typeof service.build === 'string' ? { context: service.build } : service.build;
    if (build) {
      const context = resolve(ROOT, build.context ?? '.');
      expect(existsSync(context), `build context ${context}`).toBe(true);
      expect(existsSync(resolve(context, build.dockerfile ?? 'Dockerfile')), 'dockerfile').toBe(true);
    }
    for (const entry of service.volumes ?? []) {
      const { source, bind } = volumeParts(entry);
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
    const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(read('deploy/local/kafka/pom.xml'))?.[1];
    expect(version).toMatch(/^3\.9\.\d+$/);
    expect(compose.services.kafka?.image).toBe(`apache/kafka:${version}`);
  });

  it('starts the live service with a real CLI command on the port its health check and Prometheus use', () => {
    const live = compose.services.voicepulse as ComposeService;
    const program = new Command();
    registerServeCommand(program, defaults);
    const serve = program.commands.find((c) => c.name() === live.command?.[0]);
    expect(serve, `voicepulse ${live.command?.[0]}`).toBeDefined();
    const args = live.command ?? [];
    for (const flag of args.filter((a) => a.startsWith('--')))
      expect(serve?.options.map((o) => o.long)).toContain(flag);
    const port = Number(args[args.indexOf('--port') + 1] ?? DEFAULT_PORT);
    expect(port).toBe(DEFAULT_PORT);
    expect(live.ports).toContain(`127.0.0.1:${port}:${port}`);
    // gRPC: the port serve would pick by default, said explicitly and published.
    const grpc = Number(args[args.indexOf('--grpc-port') + 1]);
    expect(grpc).toBe(serveConfig({ port }, defaults).grpcPort);
    expect(live.ports).toContain(`127.0.0.1:${grpc}:${grpc}`);
    expect(healthText(live)).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(liveSource).toContain("=== '/healthz'");
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    // Prometheus scrapes the metrics listener (no token), which compose keeps unpublished; on the
    // published port /metrics needs the operator token.
    const metricsPort = parseEnv(composeEnvironment(live.environment, { VOICEPULSE_TOKEN: SHELL_TOKEN })).live
      .metricsPort;
    expect(metricsPort).toBeDefined();
    expect(live.ports?.some((p) => p.endsWith(`:${metricsPort}`))).toBe(false);
    const job = prometheus.scrape_configs.find((j) => j.job_name === 'voicepulse');
    expect(job?.static_configs[0]?.targets).toEqual([`voicepulse:${metricsPort}`]);
    expect(liveSource).toContain(`=== '${job?.metrics_path}'`);
    const exporter = prometheus.scrape_configs.find((j) => j.job_name === 'kafka-exporter');
    expect(exporter?.static_configs[0]?.targets).toEqual(['kafka-exporter:9308']);
    expect(healthText(compose.services['kafka-exporter'] as ComposeService)).toContain(':9308/');
  });

  it('runs the sink from a file that exists, with the consumer group the code uses', () => {
    const sink = compose.services.sink as ComposeService;
    expect(sink.entrypoint).toEqual(['node', 'bin/run-ts.js']);
    expect(existsSync(resolve(ROOT, 'bin/run-ts.js'))).toBe(true);
    expect(existsSync(resolve(ROOT, sink.command?.[0] ?? 'missing'))).toBe(true);
    expect(read('services/sink/sink.ts')).toContain("DEFAULT_SINK_GROUP = 'voicepulse-sink'");
    expect(healthText(sink)).toContain("describeGroups(['voicepulse-sink'])");
    // Prometheus scrapes the sink on the port services/sink/main.ts listens on by default.
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const port = defaults.sink.metricsPort;
    const job = prometheus.scrape_configs.find((j) => j.job_name === 'sink');
    expect(job?.static_configs[0]?.targets).toEqual([`sink:${port}`]);
  });

  it('keeps the recordings spool on a named volume that the image makes writable for its user', () => {
    const live = compose.services.voicepulse as ComposeService;
    const spool = parseEnv(composeEnvironment(live.environment, { VOICEPULSE_TOKEN: SHELL_TOKEN })).live
      .recordingsDir;
    // Set explicitly: the default would be under the user's cache folder, inside the container.
    expect(spool).not.toBe(defaults.live.recordingsDir);
    const mount = (live.volumes ?? []).map(volumeParts).find((m) => m.target === spool);
    expect(mount, `a volume at ${spool}`).toBeDefined();
    expect(mount?.bind).toBe(false);
    expect(Object.keys(compose.volumes ?? {})).toContain(mount?.source);
    expect(imageMakesWritable(spool)).toBe(true);
  });

  it.each(product)(
    '%s sets only environment variables the code reads, pointing at compose services',
    (_n, s) => {
      for (const name of Object.keys(s.environment ?? {}).filter((n) => n.startsWith('VOICEPULSE_')))
        expect(envNamesInCode, name).toContain(name);
      const env = composeEnvironment(s.environment, { VOICEPULSE_TOKEN: SHELL_TOKEN });
      expect(env.VOICEPULSE_TOKEN).toBe(SHELL_TOKEN);
      // Without a token from the shell, compose stops before anything starts, saying what is missing.
      expect(() => composeEnvironment(s.environment, {})).toThrow(/VOICEPULSE_TOKEN .*at least 16/);
      const settings = parseEnv(env);
      expect(settings.warnings).toEqual([]);
      const config = analyticsConfig(settings);
      expect(config.kafka.brokers).toEqual(['kafka:9092']);
      expect(config.clickhouse).toMatchObject({ kind: 'http', url: 'http://clickhouse:8123' });
    },
  );
});

describe('Grafana provisioning', () => {
  const datasources = parse(read('deploy/grafana/provisioning/datasources/voicepulse.yaml')) as {
    datasources: { uid: string; type: string; url?: string; jsonData?: Record<string, unknown> }[];
  };
  const providers = parse(read('deploy/grafana/provisioning/dashboards/voicepulse.yaml')) as {
    providers: { options: { path: string } }[];
  };

  it('declares the data sources the dashboards query, at the compose services', () => {
    const byUid = new Map(datasources.datasources.map((d) => [d.uid, d]));
    expect(byUid.get(CLICKHOUSE.uid as string)?.type).toBe(CLICKHOUSE.type);
    expect(byUid.get(PROMETHEUS.uid as string)?.type).toBe(PROMETHEUS.type);
    const ch = byUid.get(CLICKHOUSE.uid as string)?.jsonData ?? {};
    expect(`${ch.protocol}://${ch.host}:${ch.port}`).toBe('http://clickhouse:8123');
    // Grafana reads the database the sink writes by default.
    expect(ch.defaultDatabase).toBe(defaults.clickhouse.database);
    expect(byUid.get(PROMETHEUS.uid as string)?.url).toBe('http://prometheus:9090');
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['clickhouse', 'prometheus']));
  });

  it("runs a Grafana that knows the generated dashboards' schema version", () => {
    // Grafana migrates older dashboards forward, never newer ones back; 12.3 knows schema 42.
    const versions = Object.values(DASHBOARDS).map((build) => build().schemaVersion);
    expect(new Set(versions)).toEqual(new Set([42]));
    expect(compose.services.grafana?.image).toBe('grafana/grafana:12.3.0');
  });

  it('loads the generated dashboards from where compose mounts them', () => {
    const grafana = compose.services.grafana as ComposeService;
    const mounts = (grafana.volumes ?? []).map(volumeParts);
    const dashboards = mounts.find((m) => m.source === './dashboards/generated');
    expect(dashboards?.target).toBe(providers.providers[0]?.options.path);
    expect(mounts.find((m) => m.source === './deploy/grafana/provisioning')?.target).toBe(
      '/etc/grafana/provisioning',
    );
    for (const file of Object.keys(DASHBOARDS))
      expect(existsSync(resolve(ROOT, 'dashboards/generated', file)), file).toBe(true);
  });
});

describe('deploy/k8s', () => {
  const K8S = resolve(ROOT, 'deploy/k8s');
  const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as {
    resources: string[];
    images?: { name: string }[];
  };
  // biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are checked field by field below.
  type K8sObject = { kind: string; metadata: { name: string }; spec?: any; data?: any; stringData?: any };
  const objects: K8sObject[] = kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => d.toJS() as K8sObject),
  );
  const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const deployments = ofKind('Deployment');
  // biome-ignore lint/suspicious/noExplicitAny: container specs as parsed from YAML.
  const containers = (d: K8sObject): any[] => d.spec.template.spec.containers;
  const composeImage = (compose.services.voicepulse?.image ?? '').split(':')[0];

  it('lists only files that exist, and every manifest in the folder', () => {
    const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(kustomization.images?.map((i) => i.name)).toEqual([composeImage]);
  });

  it('runs the live service and the sinks from the product image with resources and probes', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['voicepulse-live', 'voicepulse-sink']);
    for (const d of deployments) {
      for (const c of containers(d)) {
        expect(c.image, `${d.metadata.name} image`).toBe(composeImage);
        expect(c.resources?.requests?.cpu, `${d.metadata.name} cpu request`).toBeDefined();
        expect(c.resources?.requests?.memory, `${d.metadata.name} memory request`).toBeDefined();
        expect(c.livenessProbe, `${d.metadata.name} liveness`).toBeDefined();
      }
      const labels = d.spec.template.metadata.labels;
      expect(d.spec.selector.matchLabels).toEqual(labels);
    }
  });

  it('starts the live service like compose, probing /healthz on its port', () => {
    const live = containers(deployments.find((d) => d.metadata.name === 'voicepulse-live') as K8sObject)[0];
    expect(live.args).toEqual(compose.services.voicepulse?.command);
    const port = live.ports.find((p: { name: string }) => p.name === 'http');
    expect(port.containerPort).toBe(DEFAULT_PORT);
    const grpc = live.ports.find((p: { name: string }) => p.name === 'grpc');
    expect(grpc.containerPort).toBe(serveConfig({ port: DEFAULT_PORT }, defaults).grpcPort);
    // Liveness on /healthz; readiness on /readyz, which fails while the pod drains (SIGTERM).
    expect(live.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(live.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(liveSource).toContain("path === '/readyz'");
    // Prometheus scrapes the metrics listener the pod's environment turns on, never through the Service.
    const env = Object.fromEntries(live.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    const metricsPort = parseEnv(env).live.metricsPort;
    const deployment = deployments.find((d) => d.metadata.name === 'voicepulse-live') as K8sObject;
    expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(metricsPort));
    expect(live.ports.find((p: { name: string }) => p.name === 'metrics').containerPort).toBe(metricsPort);
    const service = ofKind('Service')[0] as K8sObject;
    expect(service.spec.ports.map((p: { targetPort: string }) => p.targetPort)).not.toContain('metrics');
  });

  it('mounts a volume every live pod shares where the environment puts the recordings spool', () => {
    const deployment = deployments.find((d) => d.metadata.name === 'voicepulse-live') as K8sObject;
    const live = containers(deployment)[0];
    const env = literalEnv(live);
    const spool = parseEnv(env).live.recordingsDir;
    expect(spool).toBe(
      parseEnv(
        composeEnvironment(compose.services.voicepulse?.environment, { VOICEPULSE_TOKEN: SHELL_TOKEN }),
      ).live.recordingsDir,
    );
    const mount = live.volumeMounts?.find((m: { mountPath: string }) => m.mountPath === spool);
    expect(mount, `a volume mounted at ${spool}`).toBeDefined();
    const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
    const claim = ofKind('PersistentVolumeClaim').find(
      (c) => c.metadata.name === volume?.persistentVolumeClaim?.claimName,
    );
    expect(claim, 'the claim the volume names').toBeDefined();
    // Every replica mounts it, on any node.
    expect(claim?.spec.accessModes).toEqual(['ReadWriteMany']);
    expect(deployment.spec.replicas).toBeGreaterThan(1);
    // The pod's group owns the volume: the image's user (uid/gid 1000, node) writes it.
    expect(deployment.spec.template.spec.securityContext?.fsGroup).toBe(1000);
    expect(imageMakesWritable(spool)).toBe(true);
  });

  it('ships a placeholder operator token that serve refuses, so nobody runs with it', () => {
    const secret = ofKind('Secret')[0]?.stringData ?? {};
    expect(() => parseEnv({ VOICEPULSE_TOKEN: secret.VOICEPULSE_TOKEN })).toThrow(/VOICEPULSE_TOKEN/);
  });

  it('drains a live pod before it goes: preStop pause, then a grace period beyond the drain', () => {
    const deployment = deployments.find((d) => d.metadata.name === 'voicepulse-live') as K8sObject;
    const live = containers(deployment)[0];
    const env = literalEnv(live);
    const pause = Number(live.lifecycle.preStop.exec.command[1]);
    const drain = parseEnv(env).live.drainSeconds;
    expect(pause).toBeGreaterThan(0);
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      pause + drain + 10,
    );
    expect(
      live.env.find((e: { name: string }) => e.name === 'VOICEPULSE_POD_ID').valueFrom.fieldRef.fieldPath,
    ).toBe('metadata.name');
    expect(parseEnv(env).sink.inServe).toBe(false);
    const budgets = ofKind('PodDisruptionBudget');
    for (const d of deployments)
      expect(
        budgets.find(
          (b) => JSON.stringify(b.spec.selector.matchLabels) === JSON.stringify(d.spec.selector.matchLabels),
        ),
        `${d.metadata.name} disruption budget`,
      ).toBeDefined();
  });

  it('starts the sinks like compose', () => {
    const sink = containers(deployments.find((d) => d.metadata.name === 'voicepulse-sink') as K8sObject)[0];
    expect(sink.command).toEqual(compose.services.sink?.entrypoint);
    expect(sink.args).toEqual(compose.services.sink?.command);
    expect(sink.livenessProbe.exec.command.join(' ')).toContain("describeGroups(['voicepulse-sink'])");
  });

  it('autoscales both deployments, sinks no further than the partitions', () => {
    const hpas = ofKind('HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual([
      'voicepulse-live',
      'voicepulse-sink',
    ]);
    const config = ofKind('ConfigMap')[0]?.data ?? {};
    const sinkHpa = hpas.find((h) => h.spec.scaleTargetRef.name === 'voicepulse-sink');
    expect(sinkHpa?.spec.maxReplicas).toBeLessThanOrEqual(Number(config.VOICEPULSE_KAFKA_PARTITIONS));
    for (const h of hpas) expect(h.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it('configures only environment variables the code reads', () => {
    const names = [
      ...Object.keys(ofKind('ConfigMap')[0]?.data ?? {}),
      ...Object.keys(ofKind('Secret')[0]?.stringData ?? {}),
      ...deployments.flatMap((d) =>
        containers(d).flatMap((c) => (c.env ?? []).map((e: { name: string }) => e.name)),
      ),
    ];
    expect(names.length).toBeGreaterThan(3);
    for (const name of names) expect(envNamesInCode, name).toContain(name);
    for (const d of deployments)
      for (const c of containers(d))
        for (const from of c.envFrom ?? []) {
          const ref = from.configMapRef?.name ?? from.secretRef?.name;
          expect(
            objects.map((o) => o.metadata.name),
            `envFrom ${ref}`,
          ).toContain(ref);
        }
  });

  it('routes only paths the service serves, hashing by call id where a call is named', () => {
    const service = ofKind('Service')[0] as K8sObject;
    const live = deployments.find((d) => d.metadata.name === 'voicepulse-live') as K8sObject;
    expect(service.spec.selector).toEqual(live.spec.template.metadata.labels);
    // Every gRPC service of proto/, and the health and reflection services the gRPC port adds.
    const grpcServices = readdirSync(resolve(ROOT, 'proto'))
      .filter((f) => f.endsWith('.proto'))
      .flatMap((f) => {
        const text = read(join('proto', f));
        const pkg = /^package ([\w.]+);/m.exec(text)?.[1];
        return [...text.matchAll(/^service (\w+)/gm)].map((m) => `/${pkg}.${m[1]}`);
      });
    const builtIn = [
      '/grpc.health.v1.Health',
      '/grpc.reflection.v1.ServerReflection',
      '/grpc.reflection.v1alpha.ServerReflection',
    ];
    const served = [...WS_PATHS, '/api', WALLBOARD_PATH.replace(/\/$/, ''), ...grpcServices, ...builtIn];
    const ingresses = ofKind('Ingress') as (K8sObject & {
      metadata: { annotations?: Record<string, string> };
    })[];
    for (const ingress of ingresses)
      for (const rule of ingress.spec.rules)
        for (const p of rule.http.paths) {
          expect(served, p.path).toContain(p.path);
          expect(p.backend.service.name).toBe(service.metadata.name);
          expect(service.spec.ports.map((x: { name: string }) => x.name)).toContain(
            p.backend.service.port.name,
          );
        }
    const byCall = ingresses.find(
      (i) => i.metadata.annotations?.['nginx.ingress.kubernetes.io/upstream-hash-by'] === '$arg_callId',
    );
    expect(byCall?.spec.rules[0].http.paths.map((p: { path: string }) => p.path).sort()).toEqual([
      '/stream',
      '/watch',
    ]);
    // Every WebSocket path and every gRPC service is reachable through one of the ingresses.
    const routed = ingresses.flatMap((i) => i.spec.rules[0].http.paths.map((p: { path: string }) => p.path));
    for (const path of [...WS_PATHS, ...grpcServices, ...builtIn]) expect(routed, path).toContain(path);
    expect(grpcServices).toEqual(
      expect.arrayContaining(['/voicepulse.v1.VoicePulse', '/voicepulse.query.v1.Query']),
    );
  });
});
