// A 50-megapixel photo through decode, tile conversion, preview and encode, in its own test file (so its own
// worker process): the decoded pixels are sharp's buffer (no second copy), and the process's peak RSS stays far
// enough under the app's 2 GB budget to leave room for the restore engine.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeImage } from '../../src/core/image/decode';
import { encodeImage, encodePreview } from '../../src/core/image/encode';
import { toPlanarFloat, writePlanarFloat } from '../../src/core/image/planar';
import { makeTmpDir } from '../helpers/images';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = makeTmpDir('revive-memory-')));
afterAll(() => cleanup());

const MB = 1024 * 1024;

it('50 MP JPEG: decode without copies, encode and preview, peak RSS well under 2 GB', async () => {
  const w = 8660;
  const h = 5774; // 50.0 MP
  const src = path.join(dir, 'big.jpg');
  await sharp({ create: { width: w, height: h, channels: 3, background: { r: 120, g: 100, b: 80 } } })
    .jpeg({ quality: 80 })
    .toFile(src);
  const before = process.memoryUsage().rss;

  const img = await decodeImage(src);
  expect([img.width, img.height]).toEqual([w, h]);
  // the pixels are a view of the decoder's own buffer: exactly one full-size copy exists
  expect(img.rgb.byteLength).toBe(w * h * 3);
  expect(img.rgb.buffer.byteLength).toBe(w * h * 3);
  expect(Math.max(...Array.from(img.rgb.subarray(0, 3), (v, c) => Math.abs(v - [120, 100, 80][c])))).toBeLessThanOrEqual(2);

  // one tile through float and back, as the restore engine does
  const r = { x: 4000, y: 3000, w: 512, h: 512 };
  writePlanarFloat(img, r, toPlanarFloat(img, r));

  const preview = await encodePreview(img, 1024);
  expect([preview.width, preview.height]).toEqual([1024, Math.round((1024 * h) / w)]);

  const out = path.join(dir, 'big-out.jpg');
  await encodeImage(img, out, { format: 'jpeg', quality: 85, inputPath: src });
  const m = await sharp(out).metadata();
  expect([m.width, m.height]).toEqual([w, h]);
  expect(fs.readdirSync(dir).sort()).toEqual(['big-out.jpg', 'big.jpg']);

  const peak = process.resourceUsage().maxRSS * 1024; // bytes (maxRSS is in KiB)
  const grew = process.memoryUsage().rss - before;
  console.log(`50 MP: peak RSS ${Math.round(peak / MB)} MB, RSS growth while decoded ${Math.round(grew / MB)} MB`);
  expect(peak).toBeLessThan(1024 * MB);
}, 120_000);
