import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  availableProviders,
  describeReport,
  providerOrder,
  providerUnavailableReason,
  SessionCache,
  type SessionFactory,
  startFailure,
} from '../../src/core/inference/session';
import { getModel, loadManifest } from '../../src/core/models/manifest';
import type { RestoreModel } from '../../src/shared/types';
import { copyFixtureModels, FIXTURES, restoreEntry, rmrf, tmpDir } from './restore-helpers';

const tmp = tmpDir('session');
afterAll(() => rmrf(tmp));

async function runOnce(session: ort.InferenceSession): Promise<Float32Array> {
  const x = new Float32Array(3 * 16 * 16).map((_, i) => (i % 17) / 17);
  const out = await session.run({ input: new ort.Tensor('float32', x, [1, 3, 16, 16]) });
  return out.output.data as Float32Array;
}

describe('provider order', () => {
  it('auto tries CUDA, DirectML (Windows), WebGPU, and always ends with the CPU', () => {
    expect(providerOrder('auto', 'linux')).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(providerOrder('auto', 'win32')).toEqual(['cuda', 'dml', 'webgpu', 'cpu']);
    expect(providerOrder('auto', 'darwin')).toEqual(['webgpu', 'cpu']);
    expect(providerOrder('webgpu', 'linux')).toEqual(['webgpu', 'cpu']);
    expect(providerOrder('cuda', 'linux')).toEqual(['cuda', 'cpu']);
    expect(providerOrder('dml', 'win32')).toEqual(['dml', 'cpu']);
    expect(providerOrder('cpu', 'linux')).toEqual(['cpu']);
  });

  it('lists what this build can try, the CPU always, and says why DirectML is not on Linux', () => {
    const av = availableProviders();
    expect(av[av.length - 1]).toBe('cpu');
    expect(providerUnavailableReason('dml', 'linux')).toMatch(/only available on Windows/);
    expect(providerUnavailableReason('cpu')).toBeNull();
    // consistent with onnxruntime-node's own list: a provider it does not list is never offered
    const listed = ort.listSupportedBackends().map((b) => b.name);
    for (const p of av) if (p !== 'cpu') expect(listed).toContain(p);
  });
});

describe('SessionCache', () => {
  const entry = restoreEntry();

  it('creates one CPU session per model and reuses it', async () => {
    const cache = new SessionCache({ threads: 1 });
    const a = await cache.get(FIXTURES, entry, 'cpu');
    const b = await cache.get(FIXTURES, entry, 'cpu');
    expect(a.session).toBe(b.session);
    expect(cache.created).toBe(1);
    expect(a.report).toEqual({ requested: 'cpu', used: 'cpu', fallbacks: [] });
    const out = await runOnce(a.session);
    expect(out.length).toBe(3 * 16 * 16);
    const other = await cache.get(FIXTURES, restoreEntry('restore-fixture-unet'), 'cpu');
    expect(other.session).not.toBe(a.session);
    expect(cache.created).toBe(2);
    await cache.dispose();
  });

  it('--device cuda on a machine without CUDA falls back to the CPU with the reason (does not fail)', async () => {
    const cache = new SessionCache({ threads: 1 });
    const r = await cache.get(FIXTURES, entry, 'cuda');
    if (availableProviders().includes('cuda')) {
      expect(r.report.used).toBe('cuda');
    } else {
      expect(r.report.used).toBe('cpu');
      expect(r.report.requested).toBe('cuda');
      expect(r.report.fallbacks).toHaveLength(1);
      expect(r.report.fallbacks[0].provider).toBe('cuda');
      expect(r.report.fallbacks[0].reason.length).toBeGreaterThan(10);
      expect(describeReport(r.report)).toMatch(/using CPU \(requested: cuda\); CUDA not used: /);
      expect((await runOnce(r.session)).length).toBe(3 * 16 * 16);
    }
    await cache.dispose();
  });

  it('catches a provider that throws when the session is created, falls back and remembers why', async () => {
    const calls: string[] = [];
    const factory: SessionFactory = async (file, provider) => {
      calls.push(provider);
      if (provider === 'cuda') throw new Error('CUDA failure 100: no CUDA-capable device is detected\nat line 2');
      return ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    };
    const probe = (p: string) => (p === 'webgpu' ? 'no GPU with a Vulkan driver was found for WebGPU' : null);
    const cache = new SessionCache({ factory, platform: 'linux', probe });
    const r1 = await cache.get(FIXTURES, entry, 'auto');
    expect(r1.report).toEqual({
      requested: 'auto',
      used: 'cpu',
      fallbacks: [
        { provider: 'cuda', reason: 'could not start cuda: CUDA failure 100: no CUDA-capable device is detected' },
        { provider: 'webgpu', reason: 'no GPU with a Vulkan driver was found for WebGPU' },
      ],
    });
    const r2 = await cache.get(FIXTURES, entry, 'auto');
    expect(r2.report.fallbacks).toEqual(r1.report.fallbacks);
    expect(r2.session).toBe(r1.session);
    expect(calls).toEqual(['cuda', 'cpu']); // the failing provider is not retried on every job
    await cache.dispose();
  });

  it('on Windows, auto falls back from CUDA through DirectML and WebGPU to the CPU, with every reason', async () => {
    const factory: SessionFactory = async (file, provider) => {
      if (provider !== 'cpu') throw new Error(`${provider} backend not found`);
      return ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    };
    const cache = new SessionCache({ factory, platform: 'win32', probe: () => null });
    const r = await cache.get(FIXTURES, entry, 'auto');
    expect(r.report.used).toBe('cpu');
    expect(r.report.fallbacks.map((f) => f.provider)).toEqual(['cuda', 'dml', 'webgpu']);
    await cache.dispose();
  });

  it('refuses a damaged model before creating a session', async () => {
    const dir = copyFixtureModels(path.join(tmp, 'damaged'));
    const file = path.join(dir, entry.file);
    const buf = fs.readFileSync(file);
    buf[100] ^= 0xff;
    fs.writeFileSync(file, buf);
    const cache = new SessionCache();
    await expect(cache.get(dir, entry, 'cpu')).rejects.toThrow(
      'Model file models/restore-fixture.onnx is damaged (checksum mismatch). Reinstall Revive.',
    );
    expect(cache.created).toBe(0);
  });

  it('says which model cannot be loaded when the CPU itself fails (file matches its checksum but is no ONNX)', async () => {
    const dir = copyFixtureModels(path.join(tmp, 'notonnx'));
    const m = await loadManifest(dir);
    const bogus = Buffer.from('this is not an onnx model');
    fs.writeFileSync(path.join(dir, 'bogus.onnx'), bogus);
    const { createHash } = await import('node:crypto');
    const e: RestoreModel = {
      ...getModel(m, 'restore-fixture', 'restore'),
      id: 'bogus',
      file: 'bogus.onnx',
      sha256: createHash('sha256').update(bogus).digest('hex'),
    };
    const cache = new SessionCache();
    await expect(cache.get(dir, e, 'cpu')).rejects.toThrow(/^Model file models\/bogus\.onnx could not be loaded: /);
  });
});

describe('the CPU\'s int8 copy (manifest cpu_int8)', () => {
  const base = restoreEntry();
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  /** A models folder whose restore-fixture lists restore-fixture-unet's file as its int8 copy (any valid ONNX will do). */
  function withCopy(name: string, damage = false): { dir: string; entry: RestoreModel } {
    const dir = copyFixtureModels(path.join(tmp, name));
    const copy = fs.readFileSync(path.join(dir, restoreEntry('restore-fixture-unet').file));
    fs.writeFileSync(path.join(dir, 'fixture.int8.onnx'), copy);
    if (damage) fs.writeFileSync(path.join(dir, 'fixture.int8.onnx'), Buffer.concat([copy, Buffer.from('x')]));
    return { dir, entry: { ...base, cpu_int8: { file: 'fixture.int8.onnx', sha256: sha(copy), bytes: copy.length } } };
  }
  const loads: string[] = [];
  const factory: SessionFactory = async (file, provider) => {
    loads.push(`${provider}:${path.basename(file)}`);
    // every provider runs on the CPU here: what matters is which file each is given
    return ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  };

  it('the CPU runs the int8 copy by default and says so; exact precision runs float32', async () => {
    const { dir, entry } = withCopy('int8');
    loads.length = 0;
    const fast = new SessionCache({ factory, platform: 'linux', probe: () => 'no GPU here' });
    const r = await fast.get(dir, entry, 'cpu');
    expect(path.basename(r.file)).toBe('fixture.int8.onnx');
    expect(r.report).toMatchObject({ used: 'cpu', precision: 'int8' });
    expect(describeReport(r.report)).toMatch(/^using CPU with int8 arithmetic \(requested: cpu\)/);
    expect((await fast.get(dir, entry, 'auto')).session).toBe(r.session); // reused
    const exact = new SessionCache({ factory, platform: 'linux', probe: () => 'no GPU here', precision: 'exact' });
    const e = await exact.get(dir, entry, 'cpu');
    expect(path.basename(e.file)).toBe(entry.file);
    expect(e.report.precision).toBeUndefined();
    expect(loads).toEqual(['cpu:fixture.int8.onnx', `cpu:${entry.file}`]);
    // the outputs differ: two different files really ran
    expect(Array.from(await runOnce(r.session))).not.toEqual(Array.from(await runOnce(e.session)));
    await fast.dispose();
    await exact.dispose();
  });

  it('a GPU runs the float32 file, never the int8 copy', async () => {
    const { dir, entry } = withCopy('int8-gpu');
    loads.length = 0;
    const cache = new SessionCache({ factory, platform: 'linux', probe: () => null });
    const r = await cache.get(dir, entry, 'webgpu');
    expect(r.provider).toBe('webgpu');
    expect(path.basename(r.file)).toBe(entry.file);
    expect(r.report.precision).toBeUndefined();
    expect(loads).toEqual([`webgpu:${entry.file}`]);
    await cache.dispose();
  });

  it('a damaged int8 copy is not used: float32 runs and the report says why', async () => {
    const { dir, entry } = withCopy('int8-damaged', true);
    const cache = new SessionCache({ factory, platform: 'linux', probe: () => 'no GPU here' });
    const r = await cache.get(dir, entry, 'cpu');
    expect(path.basename(r.file)).toBe(entry.file);
    expect(r.report.precision).toBeUndefined();
    expect(r.report.precisionNote).toMatch(/int8 copy was not used: Model file models\/fixture\.int8\.onnx is damaged/);
    expect(describeReport(r.report)).toMatch(/using CPU \(requested: cpu\); the int8 copy was not used/);
    await cache.dispose();
  });

  it('an int8 copy that does not load falls back to float32 once, and is not retried', async () => {
    const { dir, entry } = withCopy('int8-noload');
    loads.length = 0;
    const failing: SessionFactory = async (file, provider, opts) => {
      if (file.endsWith('.int8.onnx')) {
        loads.push('int8-failed');
        throw new Error('Could not find an implementation for QLinearConv(10) node');
      }
      return factory(file, provider, opts);
    };
    const cache = new SessionCache({ factory: failing, platform: 'linux', probe: () => 'no GPU here' });
    const r1 = await cache.get(dir, entry, 'cpu');
    const r2 = await cache.get(dir, entry, 'cpu');
    expect(path.basename(r1.file)).toBe(entry.file);
    expect(r1.report.precisionNote).toMatch(/could not be loaded \(Could not find an implementation for QLinearConv\(10\) node\); using float32/);
    expect(r2.report.precisionNote).toBe(r1.report.precisionNote);
    expect(loads).toEqual(['int8-failed', `cpu:${entry.file}`]);
    await cache.dispose();
  });
});

describe('start failures in words', () => {
  it('names missing CUDA libraries and a WebGPU without adapter; keeps onnxruntime\'s message otherwise', () => {
    expect(startFailure('cuda', 'Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open shared object file: No such file or directory')).toBe(
      "the CUDA 12 and cuDNN 9 libraries that onnxruntime's CUDA provider needs are not installed (libcublasLt.so.12 is missing)",
    );
    expect(startFailure('webgpu', 'Failed to get a WebGPU adapter: no adapter')).toMatch(/^WebGPU found no usable GPU/);
    expect(startFailure('dml', 'bad')).toBe('could not start dml: bad');
  });
});
