// A GPU that runs out of memory on a large tile: the photo is redone with smaller tiles, then on the CPU, and never
// fails; the step down is reported in words and remembered for the next photos. The "GPU" here is the CPU session
// behind a wrapper that refuses inputs over a size with an out-of-memory error like onnxruntime's, so the retried
// result can be compared with the CPU's exactly.
import path from 'node:path';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { isOutOfMemory, SessionCache, type SessionFactory } from '../../src/core/inference/session';
import { runRestoreJob } from '../../src/core/jobs/batch';
import { restoreOnDevice, smallerTile } from '../../src/core/restore/device';
import { restoreImage } from '../../src/core/restore/restore';
import type { JobEvent, ProviderReport } from '../../src/shared/types';
import { crops, FIXTURES, loadRgb, maxAbsDiff, restoreEntry, rmrf, tmpDir } from './restore-helpers';

const tmp = tmpDir('gpu-memory');
afterAll(() => rmrf(tmp));
const OOM = 'Non-zero status code returned while running Conv node. Status Message: Failed to allocate memory for buffer: out of memory';

/** A SessionCache whose "webgpu" sessions throw out-of-memory for inputs larger than `limit` px on a side. */
function gpuWithMemory(limit: number, seen: number[] = []) {
  const factory: SessionFactory = async (file, provider) => {
    const cpu = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    if (provider === 'cpu') return cpu;
    const run = cpu.run.bind(cpu);
    return new Proxy(cpu, {
      get(target, prop) {
        if (prop !== 'run') return Reflect.get(target, prop);
        return async (feeds: Record<string, ort.Tensor>) => {
          const [, , h, w] = Object.values(feeds)[0].dims;
          seen.push(Math.max(h, w));
          if (h > limit || w > limit) throw new Error(OOM);
          return run(feeds);
        };
      },
    });
  };
  return new SessionCache({ factory, platform: 'linux', probe: () => null });
}

describe('GPU out of memory', () => {
  const model = restoreEntry(); // tile 128, overlap 16, size multiple 8

  it('recognises out-of-memory errors of CUDA, WebGPU and DirectML, and nothing else', () => {
    expect(isOutOfMemory(new Error(OOM))).toBe(true);
    expect(isOutOfMemory(new Error('CUDA failure 2: out of memory ; GPU=0'))).toBe(true);
    expect(isOutOfMemory(new Error('CUDNN_STATUS_ALLOC_FAILED'))).toBe(true);
    expect(isOutOfMemory(new Error('DirectML: E_OUTOFMEMORY (0x8007000E)'))).toBe(true);
    expect(isOutOfMemory(new Error('Buffer size (4294967296) exceeds the max buffer size limit (2147483648)'))).toBe(true);
    expect(isOutOfMemory(new Error('Invalid input shape: expected 3 channels'))).toBe(false);
    expect(smallerTile(128, model)).toBe(64);
    expect(smallerTile(64, model)).toBe(32);
    expect(smallerTile(32, model)).toBeNull(); // two overlaps: the smallest window tiling allows
  });

  it('redoes the photo with half-size tiles, gives the same result as the CPU with those tiles, and remembers', async () => {
    const seen: number[] = [];
    const sessions = gpuWithMemory(64, seen);
    const img = await loadRgb(crops(1)[0], { left: 0, top: 0, width: 200, height: 150 });
    const s = await sessions.get(FIXTURES, model, 'auto');
    expect(s.provider).toBe('cuda');
    const reports: ProviderReport[] = [];
    const r = await restoreOnDevice(img, model, { sessions, modelsDir: FIXTURES, session: s, onReport: (x) => reports.push(x) });
    expect(r.session.provider).toBe('cuda');
    expect(r.stats.tile).toBe(64);
    expect(reports).toHaveLength(1);
    expect(reports[0].used).toBe('cuda');
    expect(reports[0].fallbacks.at(-1)?.reason).toMatch(/^CUDA ran out of GPU memory on 128 px tiles; using 64 px tiles \(Non-zero status/);
    const cpu = await sessions.get(FIXTURES, model, 'cpu');
    const ref = await restoreImage(img, model, cpu.session, { tile: 64 });
    expect(maxAbsDiff(r.image, ref.image)).toBe(0);
    // the next photo starts at the size that fitted: no second out-of-memory
    seen.length = 0;
    const again = await restoreOnDevice(img, model, { sessions, modelsDir: FIXTURES, session: s, onReport: (x) => reports.push(x) });
    expect(Math.max(...seen)).toBe(64);
    expect(reports).toHaveLength(1);
    expect(maxAbsDiff(again.image, ref.image)).toBe(0);
    await sessions.dispose();
  });

  it('when even the smallest tile does not fit, the CPU restores the photo; a batch does not fail it', async () => {
    const sessions = gpuWithMemory(0);
    const img = await loadRgb(crops(1)[0], { left: 0, top: 0, width: 120, height: 90 });
    const s = await sessions.get(FIXTURES, model, 'cuda');
    const reports: ProviderReport[] = [];
    const r = await restoreOnDevice(img, model, { sessions, modelsDir: FIXTURES, session: s, onReport: (x) => reports.push(x) });
    expect(r.session.provider).toBe('cpu');
    expect(reports.map((x) => x.used)).toEqual(['cuda', 'cuda', 'cpu']); // 128 -> 64 -> 32 -> the CPU
    expect(reports[2].fallbacks.at(-1)?.reason).toMatch(/^CUDA ran out of GPU memory even on 32 px tiles, so the CPU took over/);
    const ref = await restoreImage(img, model, (await sessions.get(FIXTURES, model, 'cpu')).session);
    expect(maxAbsDiff(r.image, ref.image)).toBe(0);

    // through a whole job: the photo is written, and the last provider event says the CPU did it and why
    const photo = path.join(tmp, 'big.png');
    await sharp(crops(2)[1]).extract({ left: 0, top: 0, width: 160, height: 120 }).png().toFile(photo);
    const events: JobEvent[] = [];
    const summary = await runRestoreJob(
      { inputs: [photo], outDir: path.join(tmp, 'out'), settings: { device: 'cuda', strength: 1, format: 'png', quality: 90 } },
      { sessions, modelsDir: FIXTURES, onEvent: (e) => events.push(e) },
    );
    expect(summary.ok).toBe(1);
    const last = events.filter((e) => e.type === 'provider').at(-1);
    expect(last?.type === 'provider' && last.report.used).toBe('cpu');
    await sessions.dispose();
  });

  it('any other error still fails the photo (it is not hidden by a retry)', async () => {
    const factory: SessionFactory = async (file) => {
      const cpu = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
      return new Proxy(cpu, { get: (t, p) => (p === 'run' ? async () => Promise.reject(new Error('device hung')) : Reflect.get(t, p)) });
    };
    const sessions = new SessionCache({ factory, platform: 'linux', probe: () => null });
    const img = await loadRgb(crops(1)[0], { left: 0, top: 0, width: 64, height: 64 });
    const s = await sessions.get(FIXTURES, model, 'cuda');
    await expect(restoreOnDevice(img, model, { sessions, modelsDir: FIXTURES, session: s })).rejects.toThrow('device hung');
    await sessions.dispose();
  });
});
