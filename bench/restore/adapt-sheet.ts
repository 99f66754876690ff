// docs/adapt.jpg: what "Adapt to each photo" does, at 100 %: for each photo a crop of the input, the restore with the
// network at full strength (--noise-fixed) and the default restore (adapted), side by side, with the amount judged.
// Clean photos from the validation sets, noisy ones (sigma 15 added to one of them), real old photos.
// Runs the built CLI (npm run build:cli).
//   npx jiti bench/restore/adapt-sheet.ts [out.jpg]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

const ROOT = path.resolve(__dirname, '../..');
const DATA = path.resolve(ROOT, '../shared/datasets');
const CLI = path.join(ROOT, 'out/cli/revive.js');
const CROP = 224;
// photo, crop (left, top), label
const PICKS: [string, number, number, string][] = [
  ['val/mcmaster/1.png', 150, 150, 'clean photo (McMaster 1)'],
  ['val/cbsd68/101087.png', 120, 40, 'clean photo (CBSD68 101087)'],
  ['val/set14/baboon.png', 150, 150, 'clean, textured (Set14 baboon)'],
  ['noisy:val/cbsd68/101087.png', 120, 40, 'the same with noise (sigma 15)'],
  ['old-photos/d.png', 700, 150, 'old photo d'],
  ['old-photos/h.png', 330, 300, 'old photo h'],
];

function label(text: string, width: number): Buffer {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="22"><rect width="100%" height="100%" fill="#fff"/><text x="4" y="16" font-family="sans-serif" font-size="13">${text}</text></svg>`;
  return Buffer.from(svg);
}

(async () => {
  const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs/adapt.jpg'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'adapt-'));
  const rows: Buffer[] = [];
  const W = 3 * CROP + 16;
  for (const [spec, left, top, what] of PICKS) {
    let src = path.join(DATA, spec.replace(/^noisy:/, ''));
    if (spec.startsWith('noisy:')) {
      const { data, info } = await sharp(src).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      let s = 7;
      const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
      const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
      const noisy = Buffer.from(data.map((v) => Math.max(0, Math.min(255, Math.round(v + 15 * gauss())))));
      src = path.join(tmp, `noisy-${path.basename(src)}`);
      await sharp(noisy, { raw: { width: info.width, height: info.height, channels: 3 } }).png().toFile(src);
    }
    const name = path.basename(src);
    const amounts: Record<string, number | undefined> = {};
    for (const [dir, extra] of [['fixed', ['--noise-fixed']], ['adapted', []]] as const) {
      const res = execFileSync('node', [CLI, 'restore', src, '--out', path.join(tmp, dir), '--format', 'png', '--json', ...extra], { encoding: 'utf8' });
      const line = res.split('\n').find((l) => l.startsWith('{') && l.includes('"input"'));
      amounts[dir] = line ? (JSON.parse(line) as { noiseAmount?: number }).noiseAmount : undefined;
    }
    const meta = await sharp(src).metadata();
    const l = Math.min(left, (meta.width ?? CROP) - CROP);
    const t = Math.min(top, (meta.height ?? CROP) - CROP);
    const stem = name.replace(/\.[^.]+$/, '');
    const crop = (f: string) => sharp(f).removeAlpha().extract({ left: l, top: t, width: CROP, height: CROP }).png().toBuffer();
    const tiles = await Promise.all([src, path.join(tmp, 'fixed', `${stem}.png`), path.join(tmp, 'adapted', `${stem}.png`)].map(crop));
    const a = amounts.adapted;
    const caption = `${what}: input | full strength | adapted (amount ${a === undefined ? '?' : a.toFixed(2)})`;
    rows.push(
      await sharp({ create: { width: W, height: CROP + 22, channels: 3, background: '#fff' } })
        .composite([{ input: label(caption, W), left: 0, top: 0 }, ...tiles.map((input, i) => ({ input, left: i * (CROP + 8), top: 22 }))])
        .png()
        .toBuffer(),
    );
  }
  await sharp({ create: { width: W, height: rows.length * (CROP + 30) - 8, channels: 3, background: '#fff' } })
    .composite(rows.map((input, i) => ({ input, left: 0, top: i * (CROP + 30) })))
    .jpeg({ quality: 90 })
    .toFile(out);
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`wrote ${out}: input | --noise-fixed | default (adapted), 100 % crops`);
})();
