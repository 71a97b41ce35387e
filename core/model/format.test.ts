import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EMOTIONS } from '../emotions.ts';
import { TELEPHONY_FEATURES } from '../features/config.ts';
import {
  COMMITTED_MODEL_DIR,
  COMMITTED_MODEL_VERSION,
  loadModel,
  ModelError,
  QUANTIZATION_SCHEME,
  readManifest,
  saveModel,
} from './format.ts';
import { randomTdnn, smallNetwork } from './testing/tdnn.ts';

const dir = mkdtempSync(join(tmpdir(), 'vp-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = (prosody = false, members = 1) =>
  randomTdnn(smallNetwork({ nMels: 64, prosody, pool: 2, frames: 100 }), 'format', {
    members,
    scale: 4,
    temperature: 1.2,
  });

describe('model directory', () => {
  it('round-trips a model exactly: manifest, scale, temperature and every member’s weights', () => {
    const m = model(true, 3);
    saveModel(m, join(dir, 'm1'));
    const loaded = loadModel(join(dir, 'm1'));
    expect(loaded).toEqual(m);
    expect(loaded.members).toHaveLength(3);
    expect(readManifest(join(dir, 'm1'))).toMatchObject({ version: m.version, members: 3, window: m.window });
  });

  it('rejects a missing directory, a bad manifest and weights of the wrong size, naming the code', () => {
    expect(() => loadModel(join(dir, 'absent'))).toThrow(ModelError);
    expect(() => loadModel(join(dir, 'absent'))).toThrow(/^UNREADABLE: cannot read model directory/);
    saveModel(model(), join(dir, 'm2'));
    writeFileSync(join(dir, 'm2', 'weights.bin'), new Uint8Array(40));
    expect(() => loadModel(join(dir, 'm2'))).toThrow(/^WEIGHTS_MISMATCH: .*too short/);
    saveModel(model(), join(dir, 'm3'));
    writeFileSync(join(dir, 'm3', 'model.json'), '{"format":"voicepulse-emotion-mlp/1"}');
    expect(() => loadModel(join(dir, 'm3'))).toThrow(/^INVALID_MANIFEST: /);
    saveModel(model(), join(dir, 'm4'));
    const weights = readFileSync(join(dir, 'm4', 'weights.bin'));
    writeFileSync(join(dir, 'm4', 'weights.bin'), Buffer.concat([weights, Buffer.alloc(8)]));
    expect(() => loadModel(join(dir, 'm4'))).toThrow(/^WEIGHTS_MISMATCH: weights.bin has 8 unused bytes/);
    // One member's worth short of a 3-member ensemble.
    saveModel(model(false, 3), join(dir, 'm5'));
    writeFileSync(
      join(dir, 'm5', 'weights.bin'),
      readFileSync(join(dir, 'm5', 'weights.bin')).subarray(0, -4),
    );
    expect(() => loadModel(join(dir, 'm5'))).toThrow(/too short/);
  });

  it('rejects manifests whose parts contradict each other', () => {
    const m = model(true);
    saveModel({ ...m, frontend: TELEPHONY_FEATURES }, join(dir, 'p1'));
    expect(() => loadModel(join(dir, 'p1'))).toThrow(/^INVALID_MANIFEST: .*pitchStride/);
    saveModel({ ...m, scale: new Float32Array(64).fill(1) }, join(dir, 'p2'));
    expect(() => loadModel(join(dir, 'p2'))).toThrow(/67 channels .* with 64 scales/);
    saveModel({ ...m, labels: EMOTIONS.slice(0, 4) }, join(dir, 'p3'));
    expect(() => loadModel(join(dir, 'p3'))).toThrow(/6 classes for 4 labels/);
    const plain = model(false);
    saveModel({ ...plain, network: { ...plain.network, meanFloorDb: 40 } }, join(dir, 'p4'));
    expect(() => loadModel(join(dir, 'p4'))).toThrow(/meanFloorDb\) need a prosody network/);
    saveModel({ ...m, network: { ...m.network, meanFloorDb: 40 } }, join(dir, 'p5'));
    expect(loadModel(join(dir, 'p5')).network.meanFloorDb).toBe(40);
  });
});

describe('int8 calibration block (model.json quantization)', () => {
  const quantization = {
    scheme: QUANTIZATION_SCHEME,
    calibration: { method: 'percentile' as const, percentile: 99.99, windows: 512 },
    ranges: [[-1.5, 2] as [number, number], [0, 7.25] as [number, number]],
    explainRanges: [[0, 3] as [number, number]],
  };

  it('round-trips; a model without it loads without it', () => {
    saveModel({ ...model(), quantization }, join(dir, 'q1'));
    expect(loadModel(join(dir, 'q1')).quantization).toEqual(quantization);
    saveModel(model(), join(dir, 'q2'));
    expect(readFileSync(join(dir, 'q2', 'model.json'), 'utf8')).not.toContain('quantization');
    expect(loadModel(join(dir, 'q2'))).not.toHaveProperty('quantization');
  });

  it('refuses ranges that do not hold 0, an unknown scheme and a missing explaining graph', () => {
    const refused = (name: string, block: unknown) => {
      saveModel(model(), join(dir, name));
      const path = join(dir, name, 'model.json');
      writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), quantization: block }));
      return () => loadModel(join(dir, name));
    };
    expect(refused('q3', { ...quantization, ranges: [[0.5, 2]] })).toThrow(
      /^INVALID_MANIFEST: [\s\S]*must hold 0/,
    );
    expect(refused('q4', { ...quantization, scheme: 'qdq-s8s8/1' })).toThrow(/^INVALID_MANIFEST: /);
    const { explainRanges: _, ...scoringOnly } = quantization;
    expect(refused('q5', scoringOnly)).toThrow(/^INVALID_MANIFEST: [\s\S]*explainRanges/);
  });
});

describe('class offsets (model.json classOffsets)', () => {
  it('round-trip as float32; a model without them loads without them', () => {
    const classOffsets = Float32Array.from([-0.4, -0.8, -0.5, 0.3, 0, 0]);
    saveModel({ ...model(), classOffsets }, join(dir, 'o1'));
    expect(loadModel(join(dir, 'o1')).classOffsets).toEqual(classOffsets);
    saveModel(model(), join(dir, 'o2'));
    expect(loadModel(join(dir, 'o2'))).not.toHaveProperty('classOffsets');
  });

  it('refuses one per class missing and offsets past the bound', () => {
    saveModel({ ...model(), classOffsets: new Float32Array(5) }, join(dir, 'o3'));
    expect(() => loadModel(join(dir, 'o3'))).toThrow(/^INVALID_MANIFEST: .*5 class offsets for 6 labels/);
    saveModel({ ...model(), classOffsets: Float32Array.from([9, 0, 0, 0, 0, 0]) }, join(dir, 'o4'));
    expect(() => loadModel(join(dir, 'o4'))).toThrow(/^INVALID_MANIFEST: [\s\S]*classOffsets/);
  });
});

describe('committed model', () => {
  it('is a four-network prosody TDNN over 2 s windows every 1 s', () => {
    expect(existsSync(COMMITTED_MODEL_DIR)).toBe(true);
    const committed = loadModel();
    expect(committed.version).toBe(COMMITTED_MODEL_VERSION);
    expect(committed.labels).toEqual(EMOTIONS);
    expect(committed.window).toEqual({ lengthMs: 2000, hopMs: 1000 });
    expect(committed.members).toHaveLength(4);
    expect(committed.network.prosody).toBe(true);
  });
});
