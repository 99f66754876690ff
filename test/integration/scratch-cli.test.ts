// `revive restore` with the scratch stage and the shipped models: --save-mask writes the mask it filled, --mask fills
// a given (e.g. corrected) mask and gives back exactly the first result when that mask is the one it found, an added
// mark gets filled, --scratches off leaves the damage, and wrong combinations are usage errors (exit 2).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMask, writeMask } from '../../src/core/scratch/mask-file';
import { crops, rmrf, tmpDir } from '../unit/restore-helpers';
import { ROOT, runInProcess } from './cli-helpers';

const tmp = tmpDir('scratch-cli');
const env = { REVIVE_MODELS_DIR: path.join(ROOT, 'models') };
let photo: string;
let W = 0;
let H = 0;

beforeAll(async () => {
  // a real photo with a bright scratch painted across it
  const src = crops(4)[3];
  const { data, info } = await sharp(src).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  W = info.width;
  H = info.height;
  for (let x = 10; x < W - 10; x++) {
    const y = Math.round(H / 2 + 30 * Math.sin(x / 30));
    for (const yy of [y, y + 1]) data.fill(250, (yy * W + x) * 3, (yy * W + x) * 3 + 3);
  }
  photo = path.join(tmp, 'scratched.png');
  await sharp(data, { raw: { width: W, height: H, channels: 3 } }).png().toFile(photo);
}, 60_000);
afterAll(() => rmrf(tmp));

const run = (args: string[]) => runInProcess(['restore', ...args, '--json', '--threads', '1'], tmp, env);
const jsonLine = (out: string) => JSON.parse(out.trim().split('\n')[0]);

describe('revive restore and scratches', () => {
  // the saved mask says the detector found it, so --mask fills it guided as the restore did; the corrected one (a
  // person's) is filled plain
  it('--save-mask then --mask: the same mask gives the same photo; a mark added to it gets filled', async () => {
    const a = await run([photo, '--out', path.join(tmp, 'a'), '--save-mask', path.join(tmp, 'found.png'), '--strength', '0']);
    expect(a.code).toBe(0);
    const line = jsonLine(a.out);
    expect(line.scratches.source).toBe('detected');
    expect(line.scratches.pixels).toBeGreaterThan(300); // the scratch is ~2 x 300 px
    expect(line.scratches.maskFile).toBe(path.join(tmp, 'found.png'));
    const found = await readMask(path.join(tmp, 'found.png'), W, H);

    const b = await run([photo, '--out', path.join(tmp, 'b'), '--mask', path.join(tmp, 'found.png'), '--strength', '0']);
    expect(b.code).toBe(0);
    expect(jsonLine(b.out).scratches.source).toBe('file');
    const pa = await sharp(path.join(tmp, 'a', 'scratched.png')).raw().toBuffer();
    const pb = await sharp(path.join(tmp, 'b', 'scratched.png')).raw().toBuffer();
    expect(pb.equals(pa)).toBe(true);

    // the user marks one more area (a 12 x 12 box on the photo): it is filled too, the rest stays as before
    const more = found.slice();
    for (let y = 20; y < 32; y++) for (let x = 20; x < 32; x++) more[y * W + x] = 1;
    await writeMask(path.join(tmp, 'corrected.png'), more, W, H);
    const c = await run([photo, '--out', path.join(tmp, 'c'), '--mask', path.join(tmp, 'corrected.png'), '--strength', '0']);
    expect(c.code).toBe(0);
    const pc = await sharp(path.join(tmp, 'c', 'scratched.png')).raw().toBuffer();
    const src = await sharp(photo).raw().toBuffer();
    let boxChanged = 0;
    for (let i = 0; i < W * H; i++) {
      const inBox = !found[i] && more[i];
      const same = pc[3 * i] === pa[3 * i] && pc[3 * i + 1] === pa[3 * i + 1] && pc[3 * i + 2] === pa[3 * i + 2];
      if (!more[i]) expect(same).toBe(true);
      if (inBox && (pc[3 * i] !== src[3 * i] || pc[3 * i + 1] !== src[3 * i + 1])) boxChanged++;
    }
    expect(boxChanged).toBeGreaterThan(50);
  }, 120_000);

  it('--scratches off leaves the damage (at strength 0 the output is the input)', async () => {
    const r = await run([photo, '--out', path.join(tmp, 'off'), '--scratches', 'off', '--strength', '0']);
    expect(r.code).toBe(0);
    expect(jsonLine(r.out).scratches).toBeUndefined();
    const out = await sharp(path.join(tmp, 'off', 'scratched.png')).raw().toBuffer();
    expect(out.equals(await sharp(photo).raw().toBuffer())).toBe(true);
  }, 60_000);

  it('a batch writes one mask per photo into a --save-mask folder', async () => {
    const dir = path.join(tmp, 'batch');
    fs.mkdirSync(dir);
    fs.copyFileSync(photo, path.join(dir, 'one.png'));
    fs.copyFileSync(photo, path.join(dir, 'two.png'));
    const r = await run([dir, '--out', path.join(tmp, 'batch-out'), '--save-mask', path.join(tmp, 'masks'), '--strength', '0']);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(path.join(tmp, 'masks')).sort()).toEqual(['one.png.mask.png', 'two.png.mask.png']);
  }, 60_000);

  it('refuses what cannot work, with exit 2', async () => {
    const bad = [
      [photo, '--out', path.join(tmp, 'x'), '--scratches', 'maybe'],
      [photo, '--out', path.join(tmp, 'x'), '--sensitivity', '2'],
      [tmp, '--out', path.join(tmp, 'x'), '--mask', path.join(tmp, 'found.png')],
      [tmp, '--out', path.join(tmp, 'x'), '--save-mask', path.join(tmp, 'one.png')],
      [photo, '--out', path.join(tmp, 'x'), '--scratches', 'off', '--mask', path.join(tmp, 'found.png')],
    ];
    for (const args of bad) {
      const r = await runInProcess(['restore', ...args], tmp, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/scratches|sensitivity|mask/);
    }
  });
});
