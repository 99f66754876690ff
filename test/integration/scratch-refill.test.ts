// Correcting what the scratch stage filled, through the engine as the app uses it: a restore saves the filled mask in
// the engine's work folder (the result names it; loadScratchMask gives it to the page), and refillScratches fills a
// corrected mask, recomputing only around the changed marks: an added mark changes only pixels near it, the same mask
// changes nothing, an erased mark comes back to the restore without the fill, and only outputs the engine restored
// in this session are touched.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineService } from '../../src/core/service';
import { outputMatches, readRecord } from '../../src/core/jobs/ledger';
import { decodeMask } from '../../src/core/refine/inputs';
import { readMaskFile } from '../../src/core/scratch/mask-file';
import { refillRequest, Checker } from '../../src/shared/validate';
import type { FileResult, JobEvent, RestoreSettings } from '../../src/shared/types';
import { paintDamage, writeRgbPng } from '../helpers/damage';
import { defaultReach } from '../helpers/reach';
import { crops, loadRgb, rmrf, ROOT, tmpDir, type RawImage } from '../unit/restore-helpers';

const MODELS = path.join(ROOT, 'models');
const REACH = defaultReach(MODELS);
const tmp = tmpDir('scratch-refill');
let engine: EngineService;
let photo: string;
let W = 0;
let H = 0;
const events: JobEvent[] = [];

const settings = (scratches = true): RestoreSettings => ({
  device: 'cpu',
  strength: 1,
  format: 'png',
  quality: 92,
  stages: { tone: { strength: 0 }, scratches: { enabled: scratches } },
});

async function restore(outDir: string, scratches = true): Promise<FileResult> {
  const { jobId } = await engine.startRestore({ inputs: [photo], outDir, settings: settings(scratches) });
  await engine.waitForJob(jobId);
  const done = events.find((e): e is Extract<JobEvent, { type: 'file-done' }> => e.type === 'file-done' && e.jobId === jobId);
  if (!done) throw new Error('no result');
  return done.result;
}

async function refill(output: string, mask: Uint8Array): Promise<FileResult> {
  const png = await sharp(Buffer.from(mask.map((v) => (v ? 255 : 0))), { raw: { width: W, height: H, channels: 1 } })
    .png()
    .toBuffer();
  return refillPng(output, new Uint8Array(png));
}

async function refillPng(output: string, png: Uint8Array): Promise<FileResult> {
  const req = { input: photo, output, mask: png };
  const { jobId } = await engine.refillScratches(refillRequest(new Checker('refillScratches', 'any'), req, 'req'));
  await engine.waitForJob(jobId);
  const done = events.find((e): e is Extract<JobEvent, { type: 'file-done' }> => e.type === 'file-done' && e.jobId === jobId);
  const start = events.find((e) => e.type === 'start' && e.jobId === jobId);
  expect(start).toMatchObject({ kind: 'refill', files: [{ input: photo, output }] });
  if (!done) throw new Error('no refill result');
  return done.result;
}

async function currentMask(output: string): Promise<Uint8Array> {
  const p = await engine.loadScratchMask(output);
  expect(p.mime).toBe('image/png');
  expect([p.width, p.height]).toEqual([W, H]);
  return decodeMask(p.bytes, W, H);
}

const pixels = async (file: string): Promise<RawImage> => loadRgb(file);

/** Max channel difference per pixel between two images, as a w*h map. */
function diffMap(a: RawImage, b: RawImage): Uint8Array {
  const d = new Uint8Array(a.width * a.height);
  for (let i = 0; i < d.length; i++) {
    for (let c = 0; c < 3; c++) d[i] = Math.max(d[i], Math.abs(a.rgb[3 * i + c] - b.rgb[3 * i + c]));
  }
  return d;
}

beforeAll(async () => {
  const clean = await loadRgb(crops(4)[3]); // the bearded man, 321 x 481
  W = clean.width;
  H = clean.height;
  photo = path.join(tmp, 'scratched.png');
  await writeRgbPng(photo, paintDamage(clean).damaged);
  engine = new EngineService({ modelsDir: MODELS, userDataDir: path.join(tmp, 'user'), tmpRoot: tmp });
  engine.onJobEvent((e) => events.push(e));
});

afterAll(async () => {
  await engine?.dispose();
  rmrf(tmp);
});

describe('refill a corrected scratch mask', () => {
  it('restores with the mask saved in the work folder, then fills an added mark changing only pixels near it', async () => {
    const r = await restore(path.join(tmp, 'out'));
    expect(r.status).toBe('ok');
    const info = r.info?.scratches as { maskFile: string; pixels: number };
    expect(info.pixels).toBeGreaterThan(500);
    expect(engine.files.owns(info.maskFile)).toBe(true);
    expect(info.maskFile.startsWith(tmp)).toBe(true);
    const found = await currentMask(r.output);
    expect(found.reduce((a, v) => a + v, 0)).toBe(info.pixels);

    // the same mask: nothing is rewritten
    const before = fs.readFileSync(r.output);
    const same = await refill(r.output, found);
    expect(same.status).toBe('ok');
    expect((same.info?.scratches as { changed: unknown; maskFile: string }).changed).toBeNull();
    expect(fs.readFileSync(r.output).equals(before)).toBe(true);
    // and the mask is still the detector's (filled guided, as the restore did)
    const kept = (same.info?.scratches as { maskFile: string }).maskFile;
    expect((await readMaskFile(kept, W, H)).detected).toBe(true);

    // a missed blotch near the top: 14 x 6 px around (160, 30)
    const old = await pixels(r.output);
    const added = found.slice();
    for (let y = 27; y < 33; y++) for (let x = 153; x < 167; x++) added[y * W + x] = 1;
    const res = await refill(r.output, added);
    expect(res.status).toBe('ok');
    const s = res.info?.scratches as { changed: { x: number; y: number; w: number; h: number }; maskFile: string; pixels: number };
    expect(s.pixels).toBe(added.reduce((a, v) => a + v, 0));
    const now = await pixels(r.output);
    const d = diffMap(old, now);
    let inMark = 0;
    let far = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = d[y * W + x];
        if (y >= 27 && y < 33 && x >= 153 && x < 167) inMark += v > 3 ? 1 : 0;
        // beyond the local network's reach (its manifest overlap, 192 px for restore-naf32-natural-v3) below the mark:
        // untouched
        else if (y > 33 + REACH) far = Math.max(far, v);
      }
    }
    expect(inMark).toBeGreaterThan(40); // of 84 marked pixels, most are re-created
    expect(far).toBe(0);
    expect(REACH + 33 + 40).toBeLessThan(H); // the photo reaches past it
    expect(s.changed.y + s.changed.h).toBeLessThanOrEqual(33 + REACH);
    // the page gets the new mask
    expect(await currentMask(r.output)).toEqual(added);
    // the output is still Revive's in its folder's ledger, and its XMP records the edit but no engine temp path
    const dir = path.dirname(r.output);
    const rec = await readRecord(dir, 'outputs', path.basename(r.output));
    expect(rec && (await outputMatches(dir, rec))).toBe(true);
    const xmp = (await sharp(r.output).metadata()).xmp?.toString('utf8') ?? '';
    expect(xmp).toMatch(/<stEvt:action>restored<\/stEvt:action>.*<stEvt:action>edited<\/stEvt:action>/s);
    expect(xmp).toMatch(/revive:SourceSHA256/);
    expect(xmp).not.toMatch(/saveMask|revive-work/);
  }, 240_000);

  it('an erased mark comes back to the restore without the fill', async () => {
    const r = await restore(path.join(tmp, 'out2'));
    const off = await restore(path.join(tmp, 'off'), false); // the same restore with Scratches & dust off
    expect(off.info?.scratches).toBeUndefined();
    const found = await currentMask(r.output);
    // erase every mark in a band of columns across the photo (part of the long bright scratch)
    const erased = found.slice();
    let n = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 20; x < 110; x++) {
        if (erased[y * W + x]) n++;
        erased[y * W + x] = 0;
      }
    }
    expect(n).toBeGreaterThan(80);
    const filled = await pixels(r.output);
    const res = await refill(r.output, erased);
    expect(res.status).toBe('ok');
    const now = await pixels(r.output);
    const unfilled = await pixels(off.output);
    // in the middle of the erased band (away from marks still filled), the pixels that were marked are the unfilled
    // restore's again, and clearly not the filled ones
    let toOff = 0;
    let toFilled = 0;
    let k = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 45; x < 85; x++) {
        const i = y * W + x;
        if (!found[i]) continue;
        k++;
        for (let c = 0; c < 3; c++) {
          toOff += Math.abs(now.rgb[3 * i + c] - unfilled.rgb[3 * i + c]);
          toFilled += Math.abs(filled.rgb[3 * i + c] - unfilled.rgb[3 * i + c]);
        }
      }
    }
    expect(k).toBeGreaterThan(40);
    expect(toOff / (3 * k)).toBeLessThan(3); // levels: the tiling of a crop differs a little from the whole photo's
    expect(toFilled / (3 * k)).toBeGreaterThan(15);
  }, 240_000);

  it('a cancelled refill leaves the output and its marks as they were', async () => {
    const r = await restore(path.join(tmp, 'out4'));
    const found = await currentMask(r.output);
    const added = found.slice();
    for (let y = 200; y < 240; y++) for (let x = 100; x < 220; x++) added[y * W + x] = 1;
    const png = await sharp(Buffer.from(added.map((v) => (v ? 255 : 0))), { raw: { width: W, height: H, channels: 1 } })
      .png()
      .toBuffer();
    const before = fs.readFileSync(r.output);
    const { jobId } = await engine.refillScratches({ input: photo, output: r.output, mask: new Uint8Array(png) });
    // cancelled as soon as it has started filling
    await new Promise<void>((resolve) => {
      const off = engine.onJobEvent((e) => {
        if (e.jobId === jobId && (e.type === 'file-progress' || e.type === 'done')) {
          off();
          void engine.cancelJob(jobId).then(resolve);
        }
      });
    });
    await engine.waitForJob(jobId);
    const done = events.find((e): e is Extract<JobEvent, { type: 'file-done' }> => e.type === 'file-done' && e.jobId === jobId);
    expect(done?.result.status).toBe('cancelled');
    const end = events.find((e): e is Extract<JobEvent, { type: 'done' }> => e.type === 'done' && e.jobId === jobId);
    expect(end?.summary).toMatchObject({ total: 1, cancelled: 1, ok: 0 });
    expect(fs.readFileSync(r.output).equals(before)).toBe(true);
    expect(await currentMask(r.output)).toEqual(found);
    expect(fs.readdirSync(engine.files.tmp)).toEqual([]); // no crop mask left behind
  }, 240_000);

  it('refuses an output it did not restore, and a mask of another size', async () => {
    const stranger = path.join(tmp, 'stranger.png');
    fs.copyFileSync(photo, stranger);
    const mask = new Uint8Array(await sharp({ create: { width: W, height: H, channels: 3, background: '#000' } }).png().toBuffer());
    await expect(engine.refillScratches({ input: photo, output: stranger, mask })).rejects.toThrow(
      /no record of what it fixed/,
    );
    await expect(engine.loadScratchMask(stranger)).rejects.toThrow(/Restore the photo again/);
    const r = await restore(path.join(tmp, 'out3'));
    const small = new Uint8Array(await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).png().toBuffer());
    const before = fs.readFileSync(r.output);
    const res = await refillPng(r.output, small);
    expect(res).toMatchObject({ status: 'error', error: expect.stringMatching(/10x10.*321x481|same size/) });
    expect(fs.readFileSync(r.output).equals(before)).toBe(true); // the output is left as it was

    // an output someone changed since (here: rewritten by another program) is not Revive's to rewrite
    const edited = await sharp(r.output).modulate({ brightness: 1.1 }).png().toBuffer();
    fs.writeFileSync(r.output, edited);
    const res2 = await refill(r.output, (await currentMask(r.output)).map((v, i) => (i === 5 ? 1 : v)));
    expect(res2).toMatchObject({ status: 'error', error: expect.stringMatching(/was changed since Revive restored it/) });
    expect(fs.readFileSync(r.output).equals(edited)).toBe(true);
  }, 240_000);
});
