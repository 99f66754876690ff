// The files the app created (src/core/app-files.ts): masks go to the engine's work folder, one folder per job; a mask
// is remembered by the output it belongs to, only when it is the app's own; owns() tells the app's files from others.
// And the refill's rectangle helpers (src/core/scratch/refill.ts) and MaskTargets (one mask file per photo of a batch).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppFiles } from '../../src/core/app-files';
import { withoutByProducts } from '../../src/core/jobs/ledger';
import { MaskTargets } from '../../src/core/scratch/mask-file';
import { cropImage, diffBox, grow, pasteRect } from '../../src/core/scratch/refill';
import type { RestoreSettings } from '../../src/shared/types';
import { rmrf, tmpDir } from './restore-helpers';

const tmp = tmpDir('app-files');
afterAll(() => rmrf(tmp));

const settings: RestoreSettings = { device: 'cpu', strength: 1, format: 'png', quality: 92, stages: { scratches: { sensitivity: 0.6 } } };

describe('AppFiles', () => {
  it('saves each job’s masks in its own folder of the work folder, not when scratches are off', () => {
    const files = new AppFiles(tmp);
    const s = files.withMaskSaving(settings, 'job-1');
    expect(s.stages?.scratches).toEqual({ sensitivity: 0.6, saveMask: path.join(files.dir, 'masks', 'job-1') });
    expect(settings.stages?.scratches).toEqual({ sensitivity: 0.6 }); // the request is not changed
    const off = { ...settings, stages: { scratches: { enabled: false } } };
    expect(files.withMaskSaving(off, 'job-2')).toBe(off);
    expect(path.dirname(files.dir)).toBe(tmp);
    files.dispose();
  });

  it('remembers a mask by its output, only its own files, and forgets the old mask file when replaced', () => {
    const files = new AppFiles(tmp);
    const m1 = path.join(files.dir, 'masks', 'j', 'a.png.mask.png');
    fs.mkdirSync(path.dirname(m1), { recursive: true });
    fs.writeFileSync(m1, 'x');
    const result = (maskFile: string, status: 'ok' | 'error' = 'ok') => ({
      input: '/photos/a.png',
      output: '/out/a.png',
      status,
      ms: 1,
      info: { scratches: { maskFile } },
    });
    files.record(result('/etc/passwd'), settings);
    files.record(result(m1, 'error'), settings);
    expect(files.photo('/out/a.png')).toBeNull();
    files.record(result(m1), settings);
    expect(files.photo('/out/../out/a.png')).toEqual({ input: '/photos/a.png', output: '/out/a.png', maskFile: m1, settings });
    expect(files.owns(m1)).toBe(true);
    expect(files.owns(path.join(files.dir, '..', 'x.png'))).toBe(false);
    expect(files.owns(files.dir)).toBe(false);
    const m2 = files.nextMaskFile('/out/a.png');
    expect(files.owns(m2)).toBe(true);
    files.record(result(m2), settings);
    expect(fs.existsSync(m1)).toBe(false);
    expect(files.photo('/out/a.png')?.maskFile).toBe(m2);
    const dir = files.dir;
    files.dispose();
    expect(fs.existsSync(dir)).toBe(false);
    expect(files.photo('/out/a.png')).toBeNull();
  });
});

describe('withoutByProducts', () => {
  it('leaves out where a stage saves its mask (an engine temp path), keeps everything else', () => {
    const s = new AppFiles(tmp).withMaskSaving(settings, 'job-9');
    expect(withoutByProducts(s)).toEqual(settings);
    expect(withoutByProducts({ ...settings, stages: undefined })).toEqual({ ...settings, stages: undefined });
  });
});

describe('MaskTargets', () => {
  it('gives photos of the same name their own mask file in a folder, and one file when a .png is named', () => {
    const t = new MaskTargets('/masks');
    expect(t.for('/a/1.jpg')).toBe(path.resolve('/masks/1.jpg.mask.png'));
    expect(t.for('/b/1.jpg')).toBe(path.resolve('/masks/1.jpg.2.mask.png'));
    expect(t.for('/c/1.jpg')).toBe(path.resolve('/masks/1.jpg.3.mask.png'));
    expect(t.for('/a/1.jpg')).toBe(path.resolve('/masks/1.jpg.mask.png'));
    expect(new MaskTargets('/m/one.png').for('/a/1.jpg')).toBe(path.resolve('/m/one.png'));
  });
});

describe('refill rectangles', () => {
  it('diffBox bounds the changed pixels; grow clips to the photo', () => {
    const a = new Uint8Array(20 * 10);
    const b = a.slice();
    expect(diffBox(a, b, 20, 10)).toBeNull();
    b[3 * 20 + 5] = 1;
    b[6 * 20 + 12] = 1;
    a[6 * 20 + 12] = 1; // the same in both
    a[4 * 20 + 9] = 1;
    expect(diffBox(a, b, 20, 10)).toEqual({ x: 5, y: 3, w: 5, h: 2 });
    expect(grow({ x: 5, y: 3, w: 5, h: 2 }, 4, 20, 10)).toEqual({ x: 1, y: 0, w: 13, h: 9 });
  });

  it('crops and pastes a rectangle, converting 16 to 8 bit', () => {
    const W = 6;
    const H = 4;
    const src16 = { width: W, height: H, bitDepth: 16 as const, rgb: new Uint16Array(W * H * 3).map((_, i) => i * 257) };
    const crop = cropImage(src16, { x: 1, y: 1, w: 4, h: 3 });
    expect(crop.rgb[0]).toBe((1 * W + 1) * 3 * 257);
    const dst = { width: W, height: H, bitDepth: 8 as const, rgb: new Uint8Array(W * H * 3) };
    pasteRect(dst, crop, { x: 1, y: 1 }, { x: 2, y: 2, w: 2, h: 1 });
    const i = (2 * W + 2) * 3;
    expect([...dst.rgb.subarray(i, i + 6)]).toEqual([i, i + 1, i + 2, i + 3, i + 4, i + 5]);
    expect(dst.rgb.reduce((s, v) => s + v, 0)).toBe([0, 1, 2, 3, 4, 5].reduce((s, k) => s + i + k, 0));
  });
});
