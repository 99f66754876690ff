// `revive refine` in-process (the same runCli the built bundle runs): a real old photo, strokes from a file, the
// result written atomically; exit codes 0 / 1 / 2; the same seed gives the same file; outside the mask the result
// file decodes to exactly the photo's pixels.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRefineArgs } from '../../src/cli/refine';
import { decodeImage } from '../../src/core/image/decode';
import { featherMask } from '../../src/core/refine/mask';
import { DEFAULT_FEATHER } from '../../src/core/refine/sdedit';
import { discStrokes } from '../unit/refine-helpers';
import { FIXTURES, ROOT, rmrf, tmpDir } from '../unit/restore-helpers';
import { runInProcess } from './cli-helpers';

const tmp = tmpDir('refine-cli');
const PHOTO = path.join(ROOT, 'samples/bearded-man.jpg'); // real scanned old photo, 372 x 524
let W = 0;
let H = 0;
let strokes: Uint8Array;
const STROKES = path.join(tmp, 'strokes.png');

const cli = (argv: string[]) => runInProcess(argv, tmp, { REVIVE_MODELS_DIR: FIXTURES });

beforeAll(async () => {
  const img = await decodeImage(PHOTO);
  W = img.width;
  H = img.height;
  // two strokes: a wide one (the mask's box is their union) and a small one far away
  strokes = discStrokes(W, H, 120, 150, 18, [90, 110, 70]);
  const second = discStrokes(W, H, 300, 420, 6, [30, 30, 30]);
  for (let i = 3; i < second.length; i += 4) if (second[i]) strokes.set(second.subarray(i - 3, i + 1), i - 3);
  await sharp(Buffer.from(strokes), { raw: { width: W, height: H, channels: 4 } }).png().toFile(STROKES);
});
afterAll(() => rmrf(tmp));

describe('revive refine', () => {
  it('writes the result; outside the feathered mask the file decodes to exactly the photo', async () => {
    const out = path.join(tmp, 'out', 'man.png');
    fs.mkdirSync(path.dirname(out));
    const r = await cli(['refine', PHOTO, '--strokes', STROKES, '--out', out, '--steps', '3', '--seed', '5', '--device', 'cpu']);
    expect(r.err).toContain('using CPU');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(out);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['man.png']); // atomic: no temp file left
    const a = await decodeImage(PHOTO);
    const b = await decodeImage(out);
    const painted = Uint8Array.from({ length: W * H }, (_, p) => (strokes[4 * p + 3] ? 1 : 0));
    const mask = featherMask(painted, W, H, DEFAULT_FEATHER);
    let outside = 0;
    let differ = 0;
    let changed = 0;
    for (let p = 0; p < W * H; p++) {
      for (let c = 0; c < 3; c++) {
        if (mask[p] === 0) {
          outside++;
          if (b.rgb[3 * p + c] !== a.rgb[3 * p + c]) differ++;
        } else if (painted[p] && b.rgb[3 * p + c] !== a.rgb[3 * p + c]) changed++;
      }
    }
    expect(outside).toBeGreaterThan(0.9 * 3 * W * H);
    expect(differ).toBe(0);
    expect(changed).toBeGreaterThan(500);
  });

  it('the same seed writes the same image; another seed another', async () => {
    const run = async (seed: string, name: string) => {
      const out = path.join(tmp, name);
      const r = await cli(['refine', PHOTO, '--strokes', STROKES, '--out', out, '--steps', '2', '--seed', seed, '--eta', '1', '--strength', '0.3']);
      expect(r.code).toBe(0);
      return Buffer.from((await decodeImage(out)).rgb);
    };
    const a = await run('42', 's1.png');
    const b = await run('42', 's2.png');
    const c = await run('43', 's3.png');
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('a user mask limits the change to it', async () => {
    const mask = new Uint8Array(W * H * 4);
    for (let y = 130; y < 170; y++) for (let x = 100; x < 140; x++) mask.set([255, 255, 255, 255], 4 * (y * W + x));
    for (let p = 0; p < W * H; p++) if (!mask[4 * p]) mask[4 * p + 3] = 255; // opaque black elsewhere
    const maskFile = path.join(tmp, 'mask.png');
    await sharp(Buffer.from(mask), { raw: { width: W, height: H, channels: 4 } }).png().toFile(maskFile);
    const out = path.join(tmp, 'masked.png');
    const r = await cli(['refine', PHOTO, '--strokes', STROKES, '--mask', maskFile, '--out', out, '--steps', '2']);
    expect(r.code).toBe(0);
    const a = await decodeImage(PHOTO);
    const b = await decodeImage(out);
    let differOutside = 0;
    let differInside = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const inMask = x >= 100 - 12 && x < 140 + 12 && y >= 130 - 12 && y < 170 + 12; // the mask + its feather
        for (let c = 0; c < 3; c++) {
          const i = 3 * (y * W + x) + c;
          if (b.rgb[i] !== a.rgb[i]) inMask ? differInside++ : differOutside++;
        }
      }
    }
    expect(differOutside).toBe(0); // the strokes outside the mask (the small one, most of the big one) did nothing
    expect(differInside).toBeGreaterThan(300);
  });

  it('usage errors exit 2, failures exit 1, never writing over the photo', async () => {
    const copy = path.join(tmp, 'copy.jpg');
    fs.copyFileSync(PHOTO, copy);
    const before = fs.readFileSync(copy);
    const cases: [string[], number, RegExp][] = [
      [['refine', copy, '--out', 'x.png'], 2, /--strokes FILE is required/],
      [['refine', copy, '--strokes', STROKES], 2, /--out FILE is required/],
      [['refine', copy, '--strokes', STROKES, '--out', copy], 2, /never overwritten/],
      [['refine', copy, '--strokes', STROKES, '--out', 'x.png', '--strength', '0.9'], 2, /--strength must be a number from 0.2 to 0.8/],
      [['refine', copy, '--strokes', STROKES, '--out', 'x.png', '--steps', '2.5'], 2, /--steps must be an integer/],
      [['refine', copy, 'other.jpg', '--strokes', STROKES, '--out', 'x.png'], 2, /exactly one photo/],
      [['refine', copy, '--strokes', STROKES, '--out', 'x.gif'], 2, /--out must end in .png/],
      [['refine', copy, '--strokes', path.join(tmp, 'none.png'), '--out', 'x.png'], 1, /cannot read the strokes .*no such file/],
    ];
    for (const [argv, code, msg] of cases) {
      const r = await cli(argv);
      expect(r.err, argv.join(' ')).toMatch(msg);
      expect(r.code, argv.join(' ')).toBe(code);
    }
    const tiny = path.join(tmp, 'tiny.png');
    await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 1 } } }).png().toFile(tiny);
    const r = await cli(['refine', copy, '--strokes', tiny, '--out', 'x.png']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/8x8 but the photo is 372x524/);
    expect(fs.existsSync(path.join(tmp, 'x.png'))).toBe(false);
    expect(fs.readFileSync(copy).equals(before)).toBe(true);
  });

  it('parses its options with the documented defaults', () => {
    const a = parseRefineArgs(['p.jpg', '--strokes', 's.png', '-o', 'o.png'], '/w');
    expect(a).toMatchObject({ input: '/w/p.jpg', strokes: '/w/s.png', out: '/w/o.png', mask: undefined });
    expect(a.settings).toEqual({ strength: 0.3, steps: 20, repeats: 1, seed: 0, eta: 1, device: 'auto', modelId: undefined });
  });
});
