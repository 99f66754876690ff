import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AMOUNT_FEATURES } from '../../src/core/restore/amount';
import {
  checkModels,
  findModelsDir,
  getModel,
  hashStats,
  loadManifest,
  ModelError,
  sha256File,
  verifyModel,
} from '../../src/core/models/manifest';
import { copyFixtureModels, FIXTURES, ROOT, rmrf, tmpDir } from './restore-helpers';

const tmp = tmpDir('models');
afterAll(() => rmrf(tmp));

describe('loadManifest / getModel', () => {
  it('reads the fixture manifest and picks the default restore model', async () => {
    const m = await loadManifest(FIXTURES);
    expect(m.version).toBe(1);
    const ids = m.models.map((x) => x.id);
    expect(ids).toContain('restore-fixture');
    expect(ids).toContain('restore-fixture-unet');
    const def = getModel(m, undefined, 'restore');
    expect(def.id).toBe(m.default_restore);
    expect(def.kind).toBe('restore');
    expect(getModel(m, 'restore-fixture-unet', 'restore').size_multiple).toBe(4);
  });

  it('names the installed models when an id is unknown, and refuses a model of the wrong kind', async () => {
    const m = await loadManifest(FIXTURES);
    expect(() => getModel(m, 'nope', 'restore')).toThrow(/There is no model "nope".*restore-fixture/);
    const diff = m.models.find((x) => x.kind === 'diffusion');
    expect(diff).toBeDefined();
    expect(() => getModel(m, diff!.id, 'restore')).toThrow(/is a diffusion model, not a restore model/);
  });

  it('falls back to the first model of a kind when the default is unset, and says when there is none', async () => {
    const m = await loadManifest(FIXTURES);
    const noDefault = { ...m, default_restore: '' };
    expect(getModel(noDefault, undefined, 'restore').id).toBe(m.models.find((x) => x.kind === 'restore')!.id);
    const none = { ...m, models: m.models.filter((x) => x.kind !== 'restore') };
    expect(() => getModel(none, undefined, 'restore')).toThrow(/No restore model is installed/);
  });

  it('rejects a damaged manifest with the file named', async () => {
    const d = path.join(tmp, 'badjson');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'manifest.json'), '{"version": 1, "models": [');
    await expect(loadManifest(d)).rejects.toThrow(/manifest\.json is damaged/);
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify({ version: 1, models: [{ id: 'x', kind: 'restore', file: '../x.onnx' }] }));
    await expect(loadManifest(d)).rejects.toThrow(/file must be a path inside the models folder/);
    // an int8 copy is checked like the model's own file
    const good = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8'));
    const withCopy = (copy: unknown) => ({ ...good, models: [{ ...good.models[0], cpu_int8: copy }, ...good.models.slice(1)] });
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(withCopy({ file: '../up.onnx', sha256: 'a'.repeat(64), bytes: 1 })));
    await expect(loadManifest(d)).rejects.toThrow(/cpu_int8\.file must be a path inside the models folder/);
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(withCopy({ file: 'x.int8.onnx', sha256: 'nope', bytes: 1 })));
    await expect(loadManifest(d)).rejects.toThrow(/cpu_int8\.sha256 must be 64 hex digits/);
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(withCopy('x.int8.onnx')));
    await expect(loadManifest(d)).rejects.toThrow(/cpu_int8\.file must be a path inside the models folder/);
    // a restore model's amount regressor: its features in the engine's order, every array its size
    const withAmount = (amount: unknown) => ({ ...good, models: [{ ...good.models[0], amount }, ...good.models.slice(1)] });
    const n = AMOUNT_FEATURES.length;
    const amount = { features: [...AMOUNT_FEATURES], mean: Array(n).fill(0), std: Array(n).fill(1), w1: [Array(n).fill(0)], b1: [0], w2: [1], b2: 0 };
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(withAmount(amount)));
    await expect(loadManifest(d)).resolves.toBeTruthy();
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(withAmount({ ...amount, features: [...AMOUNT_FEATURES].reverse() })));
    await expect(loadManifest(d)).rejects.toThrow(/amount features must be noise1_q10, /);
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(withAmount({ ...amount, std: Array(n).fill(0) })));
    await expect(loadManifest(d)).rejects.toThrow(/amount mean\/std/);
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(withAmount({ ...amount, w1: [Array(n - 1).fill(0)] })));
    await expect(loadManifest(d)).rejects.toThrow(/amount w1/);
    // a detector's test-time turn is one the engine knows
    const withTta = (tta: unknown) => ({ ...good, models: [...good.models, { ...good.models[0], id: 'det', kind: 'scratch', receptive_overlap: 64, tta }] });
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(withTta('rot180')));
    await expect(loadManifest(d)).resolves.toBeTruthy();
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(withTta('rot90')));
    await expect(loadManifest(d)).rejects.toThrow(/\(det\): tta must be "rot180" or absent/);
    await expect(loadManifest(path.join(tmp, 'nowhere'))).rejects.toThrow(/is missing/);
  });
});

describe('verifyModel', () => {
  it('accepts the fixture files (their sha256 is the manifest\'s)', async () => {
    const m = await loadManifest(FIXTURES);
    for (const e of m.models) {
      expect(await verifyModel(FIXTURES, e)).toBe(path.join(FIXTURES, e.file));
      expect(await sha256File(path.join(FIXTURES, e.file))).toBe(e.sha256);
    }
  });

  it('says which file is damaged when one byte is flipped', async () => {
    const dir = copyFixtureModels(path.join(tmp, 'corrupt'));
    const m = await loadManifest(dir);
    const e = getModel(m, 'restore-fixture', 'restore');
    const file = path.join(dir, e.file);
    const buf = fs.readFileSync(file);
    buf[Math.floor(buf.length / 2)] ^= 0x01;
    fs.writeFileSync(file, buf);
    const err = await verifyModel(dir, e).catch((x) => x);
    expect(err).toBeInstanceOf(ModelError);
    expect(err.message).toBe('Model file models/restore-fixture.onnx is damaged (checksum mismatch). Reinstall Revive.');
    expect(err.code).toBe('damaged');
    // the other models in the same folder are still fine
    await expect(verifyModel(dir, getModel(m, 'restore-fixture-unet', 'restore'))).resolves.toContain('unet');
    const checks = await checkModels(dir, m);
    expect(checks.filter((c) => !c.sha256Ok).map((c) => c.id)).toEqual(['restore-fixture']);
  });

  it('says when the file is missing', async () => {
    const dir = copyFixtureModels(path.join(tmp, 'missing'));
    const m = await loadManifest(dir);
    fs.rmSync(path.join(dir, 'restore-fixture-unet.onnx'));
    await expect(verifyModel(dir, getModel(m, 'restore-fixture-unet', 'restore'))).rejects.toThrow(
      'Model file models/restore-fixture-unet.onnx is missing. Reinstall Revive.',
    );
  });

  it('hashes a file once while its size and mtime stay the same, again when it changes', async () => {
    const dir = copyFixtureModels(path.join(tmp, 'cache'));
    const m = await loadManifest(dir);
    const e = getModel(m, 'restore-fixture', 'restore');
    await verifyModel(dir, e);
    const before = hashStats().hashed;
    await verifyModel(dir, e);
    await verifyModel(dir, e);
    expect(hashStats().hashed).toBe(before);
    const file = path.join(dir, e.file);
    fs.appendFileSync(file, Buffer.from([0]));
    await expect(verifyModel(dir, e)).rejects.toThrow(/damaged \(checksum mismatch\)/);
    expect(hashStats().hashed).toBe(before + 1);
  });
});

describe('findModelsDir', () => {
  it('uses REVIVE_MODELS_DIR when set', () => {
    expect(findModelsDir('/', { REVIVE_MODELS_DIR: FIXTURES })).toBe(FIXTURES);
    expect(() => findModelsDir('/', { REVIVE_MODELS_DIR: tmp })).toThrow(/holds no manifest\.json/);
  });

  it('walks up from a folder to the first models/manifest.json', () => {
    const top = path.join(tmp, 'walk');
    const deep = path.join(top, 'a', 'b', 'c');
    fs.mkdirSync(deep, { recursive: true });
    fs.mkdirSync(path.join(top, 'models'));
    fs.writeFileSync(path.join(top, 'models', 'manifest.json'), '{}');
    expect(findModelsDir(deep, {})).toBe(path.join(top, 'models'));
  });

  it('finds the repository models/ from the source tree by default', () => {
    expect(findModelsDir(undefined, {})).toBe(path.join(ROOT, 'models'));
  });

  it('throws a clear error when there is none', () => {
    expect(() => findModelsDir('/', {})).toThrow(/Could not find the models folder/);
  });
});
