// docs/grain.jpg: what "Keep film grain" does, at 100 %: for each photo a crop of the scan, the restore, and the
// restore with --keep-grain, side by side. Runs the built CLI (npm run build:cli) on real old photos.
//   npx jiti bench/restore/grain-sheet.ts [out.jpg]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

const ROOT = path.resolve(__dirname, '../..');
const OLD = path.resolve(ROOT, '../shared/datasets/old-photos');
const CLI = path.join(ROOT, 'out/cli/revive.js');
// photo, crop (left, top) of a CROP x CROP window with grain on skin, sky or cloth
const PICKS: [string, number, number][] = [
  ['h.png', 330, 300],
  ['d.png', 700, 150],
  ['e.png', 250, 420],
];
const CROP = 256;

(async () => {
  const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs/grain.jpg'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grain-'));
  const rows: Buffer[] = [];
  for (const [name, left, top] of PICKS) {
    const src = path.join(OLD, name);
    for (const [dir, extra] of [['plain', []], ['grain', ['--keep-grain']]] as const) {
      execFileSync('node', [CLI, 'restore', src, '--out', path.join(tmp, dir), '--format', 'png', ...extra], { stdio: 'ignore' });
    }
    const meta = await sharp(src).metadata();
    const l = Math.min(left, (meta.width ?? CROP) - CROP);
    const t = Math.min(top, (meta.height ?? CROP) - CROP);
    const crop = (f: string) => sharp(f).removeAlpha().extract({ left: l, top: t, width: CROP, height: CROP }).png().toBuffer();
    const tiles = await Promise.all([src, path.join(tmp, 'plain', name), path.join(tmp, 'grain', name)].map(crop));
    rows.push(
      await sharp({ create: { width: 3 * CROP + 16, height: CROP, channels: 3, background: '#fff' } })
        .composite(tiles.map((input, i) => ({ input, left: i * (CROP + 8), top: 0 })))
        .png()
        .toBuffer(),
    );
  }
  await sharp({ create: { width: 3 * CROP + 16, height: rows.length * (CROP + 8) - 8, channels: 3, background: '#fff' } })
    .composite(rows.map((input, i) => ({ input, left: 0, top: i * (CROP + 8) })))
    .jpeg({ quality: 90 })
    .toFile(out);
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`wrote ${out}: scan | restored | restored with --keep-grain, 100 % crops`);
})();
