// The app's live colour preview, timed through the real EngineService (what main's utility process runs): a 12 MP
// grey photo file, strokes painted at the preview's size (1024 px), colorize({ previewSize: 1024 }) called again and
// again as the person paints. The first call decodes and scales the photo; the others reuse the scaled photo.
//   npx jiti bench/colorize/preview.ts [--reps 5]   (prints JSON; docs/colorize.md records it)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { EngineService } from '../../src/core/service';

const ROOT = path.resolve(__dirname, '../..');
const PHOTO = path.resolve(ROOT, '../shared/datasets/train/wallpapers/life_by_Aitzol_Berasategi.jpg');
const i = process.argv.indexOf('--reps');
const REPS = i > 0 ? Number(process.argv[i + 1]) : 5;

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'revive-preview-'));
  const file = path.join(tmp, 'grey-12mp.jpg');
  await sharp(PHOTO).resize(4246, 2826).greyscale().jpeg({ quality: 92 }).toFile(file);
  const service = new EngineService({ modelsDir: path.join(ROOT, 'models'), userDataDir: path.join(tmp, 'user') });
  // strokes at preview size (1024 x 682): a few brush strokes of three colours
  const w = 1024;
  const h = Math.round((1024 * 2826) / 4246);
  const s = new Uint8Array(w * h * 4);
  const strokes = [
    [120, 80, 700, 120, [127, 167, 216]],
    [100, 500, 600, 560, [95, 127, 58]],
    [700, 400, 900, 420, [138, 99, 64]],
  ] as const;
  for (const [x0, y0, x1, y1, c] of strokes) {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if ((x + y) % 7 < 5) s.set([c[0], c[1], c[2], 255], 4 * (y * w + x));
  }
  const png = new Uint8Array(await sharp(Buffer.from(s), { raw: { width: w, height: h, channels: 4 } }).png().toBuffer());
  const ms: number[] = [];
  const cpu: number[] = []; // the whole process (sharp's threads included)
  for (let r = 0; r <= REPS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await service.colorize({ source: { path: file }, strokes: png, previewSize: 1024 });
    ms.push(Math.round(performance.now() - t0));
    const c = process.cpuUsage(c0);
    cpu.push(Math.round((c.user + c.system) / 1000));
  }
  await service.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(JSON.stringify({ date: new Date().toISOString().slice(0, 10), photo: '4246 x 2826 grey JPEG', previewSize: 1024, firstMs: ms[0], firstCpuMs: cpu[0], laterMedianMs: med(ms.slice(1)), laterMedianCpuMs: med(cpu.slice(1)), laterMs: ms.slice(1), load: os.loadavg()[0].toFixed(1) }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
