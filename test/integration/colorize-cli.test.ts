// `revive colorize` in-process (the same runCli the built bundle runs): a real old photo, two colour strokes from a
// file, the result written atomically with the painted hues; --json; exit codes 0 / 1 / 2; the original untouched.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearTable, linearToOklab, srgb8ToOklab } from '../../src/core/colorize/oklab';
import { decodeImage } from '../../src/core/image/decode';
import { discStrokes } from '../unit/refine-helpers';
import { ROOT, rmrf, tmpDir } from '../unit/restore-helpers';
import { runInProcess } from './cli-helpers';

const tmp = tmpDir('colorize-cli');
const PHOTO = path.join(ROOT, 'samples/bearded-man.jpg'); // real scanned old photo, 372 x 524
const STROKES = path.join(tmp, 'strokes.png');
const SKIN = [205, 150, 120];
const COAT = [40, 60, 130];
let W = 0;
let H = 0;

const cli = (argv: string[]) => runInProcess(argv, tmp);

beforeAll(async () => {
  const img = await decodeImage(PHOTO);
  W = img.width;
  H = img.height;
  const s = discStrokes(W, H, 190, 170, 10, SKIN); // the face
  const coat = discStrokes(W, H, 190, 470, 14, COAT); // the coat
  for (let i = 3; i < coat.length; i += 4) if (coat[i]) s.set(coat.subarray(i - 3, i + 1), i - 3);
  await sharp(Buffer.from(s), { raw: { width: W, height: H, channels: 4 } }).png().toFile(STROKES);
});
afterAll(() => rmrf(tmp));

const hue = (lab: ArrayLike<number>) => Math.atan2(lab[2], lab[1]);
const hueDiff = (a: number, b: number) => Math.abs(Math.atan2(Math.sin(a - b), Math.cos(a - b)));

describe('revive colorize', () => {
  it('writes the photo with the painted hues where they were painted, its lightness kept', async () => {
    const before = fs.readFileSync(PHOTO);
    const out = path.join(tmp, 'out', 'man.png');
    fs.mkdirSync(path.dirname(out));
    const r = await cli(['colorize', PHOTO, '--strokes', STROKES, '--out', out]);
    expect(r.err).toContain('coloured');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(out);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['man.png']); // atomic: no temp file left
    expect(fs.readFileSync(PHOTO).equals(before)).toBe(true);
    const a = await decodeImage(PHOTO);
    const b = await decodeImage(out);
    expect(b.meta.isGrey).toBe(false);
    const lin = linearTable(255);
    const lab = (img: typeof a, x: number, y: number) => {
      const i = 3 * (y * W + x);
      const o = new Float64Array(3);
      linearToOklab(lin[img.rgb[i]], lin[img.rgb[i + 1]], lin[img.rgb[i + 2]], o);
      return o;
    };
    for (const [x, y, c] of [[190, 170, SKIN], [190, 470, COAT], [175, 190, SKIN], [150, 480, COAT]] as const) {
      const got = lab(b, x, y);
      expect(Math.hypot(got[1], got[2])).toBeGreaterThan(0.015);
      expect(hueDiff(hue(got), hue(srgb8ToOklab(c[0], c[1], c[2])))).toBeLessThan(0.5);
    }
    let se = 0;
    for (let y = 0; y < H; y += 2) for (let x = 0; x < W; x += 2) se += (lab(a, x, y)[0] - lab(b, x, y)[0]) ** 2;
    expect(10 * Math.log10(1 / (se / (Math.ceil(H / 2) * Math.ceil(W / 2))))).toBeGreaterThan(40);
  });

  it('--json prints one object per photo, ok or error', async () => {
    const out = path.join(tmp, 'man.jpg');
    const r = await cli(['colorize', PHOTO, '--strokes', STROKES, '--out', out, '--json']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out);
    expect(o).toMatchObject({ input: PHOTO, output: out, status: 'ok' });
    expect(o.painted).toBeGreaterThan(500);
    expect(o.changed).toBeGreaterThan(o.painted);
    const small = path.join(tmp, 'small.png');
    await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toFile(small);
    const bad = await cli(['colorize', PHOTO, '--strokes', small, '--out', path.join(tmp, 'x.png'), '--json']);
    expect(bad.code).toBe(1);
    const e = JSON.parse(bad.out);
    expect(e.status).toBe('error');
    expect(e.error).toContain('must be the same size');
    expect(fs.existsSync(path.join(tmp, 'x.png'))).toBe(false);
  });

  it('refuses to write over the photo, and other usage errors, with exit status 2', async () => {
    const same = await cli(['colorize', PHOTO, '--strokes', STROKES, '--out', PHOTO]);
    expect(same.code).toBe(2);
    expect(same.err).toContain('never overwritten');
    expect((await cli(['colorize', PHOTO, '--out', path.join(tmp, 'y.png')])).code).toBe(2);
    expect((await cli(['colorize', PHOTO, '--strokes', STROKES, '--out', path.join(tmp, 'y.bmp')])).code).toBe(2);
    const missing = await cli(['colorize', PHOTO, '--strokes', path.join(tmp, 'none.png'), '--out', path.join(tmp, 'y.png')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no such file');
  });
});
