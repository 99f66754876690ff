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

describe('start failures in words', () => {
  it('names missing CUDA libraries and a WebGPU without adapter; keeps onnxruntime\'s message otherwise', () => {
    expect(startFailure('cuda', 'Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open shared object file: No such file or directory')).toBe(
      "the CUDA 12 and cuDNN 9 libraries that onnxruntime's CUDA provider needs are not installed (libcublasLt.so.12 is missing)",
    );
    expect(startFailure('webgpu', 'Failed to get a WebGPU adapter: no adapter')).toMatch(/^WebGPU found no usable GPU/);
    expect(startFailure('dml', 'bad')).toBe('could not start dml: bad');
  });
});
