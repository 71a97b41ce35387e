// The import graph of the project's sources holds the architecture. Built by dependency-cruiser, which
// resolves imports as Node and tsc do (.ts extensions, package exports, dynamic and type-only
// imports) and knows which packages are devDependencies; a hand-written walker would re-implement
// all of that. Rules:
// - no import cycles, type-only imports included (they still tie two modules' designs together);
// - the deployables' code does not import each other (services/live ↛ services/sink and back; their
//   tests may), and core/ imports none of services/, cli/ or clients/;
// - production code (core, services, cli, clients, bin) imports no test support (testing/, test/);
// - what the image runs (package.json's bin with every command, the compose services' commands, and
//   whatever those start by URL: worker threads) reaches no devDependency, no unresolvable import and
//   no file .dockerignore leaves out, except by a dynamic import in a module that guards it with
//   cli/dev-only.ts (the `train` command).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { cruise, type ICruiseResult, type IForbiddenRuleType, type IModule } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dockerIgnored, ROOT } from '../testing/image.ts';

const SOURCE_DIRS = [
  'bin',
  'cli',
  'clients',
  'core',
  'services',
  'training',
  'test',
  'bench',
  'tools',
  'dashboards',
];

/** Tests may seed one deployable's store the way the other writes it; production code may not. */
const TEST_CODE = '(\\.test\\.ts$|/testing/)';

const RULES: IForbiddenRuleType[] = [
  { name: 'no-cycle', severity: 'error', from: {}, to: { circular: true } },
  {
    name: 'live-imports-sink',
    severity: 'error',
    from: { path: '^services/live/', pathNot: TEST_CODE },
    to: { path: '^services/sink/' },
  },
  {
    name: 'sink-imports-live',
    severity: 'error',
    from: { path: '^services/sink/', pathNot: TEST_CODE },
    to: { path: '^services/live/' },
  },
  {
    // Test support (testing/ folders, test/) is for tests, benchmarks and tools, never for what ships.
    name: 'product-imports-test-support',
    severity: 'error',
    from: { path: '^(core|services|cli|clients|bin)/', pathNot: TEST_CODE },
    to: { path: '(/testing/|^test/)' },
  },
  {
    name: 'core-imports-outer-layer',
    severity: 'error',
    from: { path: '^core/' },
    to: { path: '^(services|cli|clients)/' },
  },
];

async function cruiseTree(root: string, dirs: string[]): Promise<ICruiseResult> {
  const { output } = await cruise(dirs, {
    baseDir: root,
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    validate: true,
    ruleSet: { forbidden: RULES },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  });
  return output as ICruiseResult;
}

/** One line per rule broken; a cycle is reported once, by its members. */
function ruleViolations(result: ICruiseResult): string[] {
  const lines = new Set<string>();
  for (const v of result.summary.violations) {
    if (v.cycle) {
      const members = v.cycle.map((c) => c.name).sort();
      lines.add(`${v.rule.name}: ${members.join(' → ')}`);
    } else lines.add(`${v.rule.name}: ${v.from} → ${v.to}`);
  }
  return [...lines].sort();
}

/** Files a module loads by URL rather than by import: `new URL('./thread.ts', import.meta.url)`. */
function urlLoaded(root: string, source: string): string[] {
  const text = readFileSync(join(root, source), 'utf8');
  return [
    ...text.matchAll(/new URL\(\s*['"`](\.{1,2}\/[^'"`$]+\.(?:ts|mjs|js))['"`]\s*,\s*import\.meta\.url/g),
  ].map((m) => posix.join(posix.dirname(source), m[1]!));
}

/**
 * Walks runtime code from `entries` over value imports (static and dynamic) and returns what it may
 * not reach: devDependencies, unresolvable imports, files outside the image. A module that imports
 * cli/dev-only.ts may reach dev-only code through a dynamic import (it reports its absence itself).
 */
function runtimeViolations(root: string, modules: IModule[], entries: string[]): string[] {
  const bySource = new Map(modules.map((m) => [m.source, m]));
  const ignored = dockerIgnored(root);
  const problems: string[] = [];
  const seen = new Set<string>();
  const queue = [...entries];
  for (let source = queue.shift(); source !== undefined; source = queue.shift()) {
    if (seen.has(source)) continue;
    seen.add(source);
    const module = bySource.get(source);
    if (!module) {
      problems.push(`${source}: runtime code not in the cruised tree`);
      continue;
    }
    if (ignored(source)) problems.push(`${source}: runtime code .dockerignore leaves out of the image`);
    const guarded = module.dependencies.some((d) => d.resolved === 'cli/dev-only.ts');
    for (const d of module.dependencies) {
      if (d.dependencyTypes.includes('type-only') || d.coreModule) continue;
      const devOnly =
        d.dependencyTypes.includes('npm-dev') ||
        (!d.resolved.startsWith('node_modules/') && ignored(d.resolved));
      if (devOnly && d.dynamic && guarded) continue;
      if (d.couldNotResolve) problems.push(`${source} → ${d.module}: cannot be resolved`);
      else if (d.dependencyTypes.includes('npm-dev'))
        problems.push(`${source} → ${d.module}: a devDependency`);
      else if (d.dependencyTypes.includes('npm-no-pkg'))
        problems.push(`${source} → ${d.module}: not in package.json`);
      else if (!d.resolved.startsWith('node_modules/')) queue.push(d.resolved);
    }
    queue.push(...urlLoaded(root, source));
  }
  return problems.sort();
}

/** package.json's bin, and the script files the compose services of the image run. */
function imageEntryPoints(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { build?: unknown; image?: string; entrypoint?: string[]; command?: string[] }>;
  };
  const scripts = Object.values(compose.services)
    .filter((s) => s.image?.startsWith('voicepulse') || s.build !== undefined)
    .flatMap((s) => [...(s.entrypoint ?? []), ...(s.command ?? [])])
    .filter((arg) => /\.(ts|js|mjs)$/.test(arg));
  return [...new Set([...Object.values(pkg.bin).map((p) => posix.normalize(p)), ...scripts])];
}

describe('import graph', async () => {
  const result = await cruiseTree(ROOT, SOURCE_DIRS);

  it('has no cycle and keeps the layers (deployables apart, core below services, cli and clients)', () => {
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    expect(ruleViolations(result)).toEqual([]);
  });

  it('lets what the image runs reach no devDependency and no file outside the image', () => {
    const entries = imageEntryPoints();
    expect(entries).toEqual(expect.arrayContaining(['bin/voicepulse.js']));
    expect(entries.some((e) => e.startsWith('services/sink/'))).toBe(true);
    expect(runtimeViolations(ROOT, result.modules, entries)).toEqual([]);
  });
});

describe('import graph checks (on a made-up tree)', () => {
  const root = mkdtempSync(join(tmpdir(), 'vp-import-graph-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const files: Record<string, string> = {
    '.dockerignore': 'training\n',
    'package.json': JSON.stringify({ name: 'x', type: 'module', devDependencies: { vitest: '*' } }),
    'core/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
    'core/b.ts':
      "import { a } from './a.ts';\nimport { x } from '../services/live/x.ts';\nexport const b = () => [a, x];\n",
    'services/live/x.ts': "import { y } from '../sink/y.ts';\nexport const x = y;\n",
    'services/sink/y.ts': "import { t } from '../../training/t.ts';\nexport const y = t;\n",
    'services/sink/main.ts':
      "import { y } from './y.ts';\nimport 'vitest';\nnew URL('./thread.ts', import.meta.url);\nexport { y };\n",
    'services/sink/thread.ts': "import './gone.ts';\n",
    'cli/dev-only.ts': 'export const guard = 1;\n',
    'cli/train.ts':
      "import { guard } from './dev-only.ts';\nexport const run = () => [guard, import('../training/t.ts')];\n",
    'training/t.ts': 'export const t = 1;\n',
    'cli/demo.ts': "import { fake } from '../core/testing/fake.ts';\nexport const demo = fake;\n",
    'core/testing/fake.ts': 'export const fake = 1;\n',
    'core/testing/fake.test.ts': "import { fake } from './fake.ts';\nexport const ok = fake;\n",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));

  it('reports a cycle, an import across deployables, core importing a service and product code importing test support', async () => {
    const r = await cruiseTree(root, ['core', 'services', 'cli', 'training']);
    expect(ruleViolations(r)).toEqual([
      'core-imports-outer-layer: core/b.ts → services/live/x.ts',
      'live-imports-sink: services/live/x.ts → services/sink/y.ts',
      'no-cycle: core/a.ts → core/b.ts',
      'product-imports-test-support: cli/demo.ts → core/testing/fake.ts',
    ]);
  });

  it('reports runtime code reaching a devDependency, a missing file, a URL-loaded thread, and dev-only code', async () => {
    const r = await cruiseTree(root, ['core', 'services', 'cli', 'training']);
    expect(runtimeViolations(root, r.modules, ['services/sink/main.ts', 'cli/train.ts'])).toEqual([
      'services/sink/main.ts → vitest: a devDependency',
      'services/sink/thread.ts → ./gone.ts: cannot be resolved',
      'training/t.ts: runtime code .dockerignore leaves out of the image',
    ]);
  });
});
