// The real photos the tests use, made from the repository's own samples/ (scanned old photos, MIT; samples/README.md)
// so that every test runs on a fresh clone: nothing is read from ../shared (dataset evaluations live in training/ and
// bench/). The global setup of both vitest configs (test/helpers/photos-setup.ts) writes them once into test/.tmp:
//   OLD_PHOTOS/a.png  boy-with-glasses as RGBA PNG at 1200 dpi (the scan it comes from has both), 298 x 450
//   OLD_PHOTOS/b.png  girl-in-garden, 644 x 900      OLD_PHOTOS/g.png  girl-with-flower-crown, 700 x 700
//   OLD_PHOTOS/h.png  bearded-man, 372 x 524
//   CROPS/crop-1.png ... crop-4.png  481 x 321 and 321 x 481 crops of them (the size of a CBSD68 photo)
import fs from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';

export const ROOT = path.resolve(__dirname, '../..');
export const SAMPLES = path.join(ROOT, 'samples');
export const PHOTOS = path.join(ROOT, 'test/.tmp/photos');
export const OLD_PHOTOS = path.join(PHOTOS, 'old-photos');
export const CROPS = path.join(PHOTOS, 'crops');

const OLD: { name: string; sample: string; alpha?: boolean; dpi?: number }[] = [
  { name: 'a.png', sample: 'boy-with-glasses.jpg', alpha: true, dpi: 1200 },
  { name: 'b.png', sample: 'girl-in-garden.jpg' },
  { name: 'g.png', sample: 'girl-with-flower-crown.jpg' },
  { name: 'h.png', sample: 'bearded-man.jpg' },
];

const CROP_SPECS: { name: string; sample: string; left: number; top: number; width: number; height: number }[] = [
  { name: 'crop-1.png', sample: 'girl-in-garden.jpg', left: 80, top: 180, width: 481, height: 321 },
  { name: 'crop-2.png', sample: 'girl-with-flower-crown.jpg', left: 110, top: 190, width: 481, height: 321 },
  { name: 'crop-3.png', sample: 'girl-in-garden.jpg', left: 160, top: 360, width: 321, height: 481 },
  { name: 'crop-4.png', sample: 'bearded-man.jpg', left: 25, top: 20, width: 321, height: 481 },
];

/** Writes the photos that are missing (atomically, so parallel runs never read half a file). */
export async function makeTestPhotos(): Promise<void> {
  fs.mkdirSync(OLD_PHOTOS, { recursive: true });
  fs.mkdirSync(CROPS, { recursive: true });
  const write = async (file: string, make: () => Sharp) => {
    if (fs.existsSync(file)) return;
    const tmp = `${file}.${process.pid}.tmp`;
    await make().png().toFile(tmp);
    fs.renameSync(tmp, file);
  };
  for (const o of OLD) {
    await write(path.join(OLD_PHOTOS, o.name), () => {
      let s = sharp(path.join(SAMPLES, o.sample));
      if (o.alpha) s = s.ensureAlpha();
      return o.dpi ? s.withMetadata({ density: o.dpi }) : s;
    });
  }
  for (const c of CROP_SPECS) {
    await write(path.join(CROPS, c.name), () => sharp(path.join(SAMPLES, c.sample)).extract(c));
  }
}

/** The first n crops (PNG, CBSD68-sized real photos). */
export function crops(n = 1): string[] {
  const files = CROP_SPECS.map((c) => path.join(CROPS, c.name));
  if (n > files.length) throw new Error(`only ${files.length} test crops`);
  for (const f of files.slice(0, n)) if (!fs.existsSync(f)) throw new Error(`${f} missing: the global setup makes it`);
  return files.slice(0, n);
}

/** The old photos (PNG), sorted by name. */
export function oldPhotos(): string[] {
  return OLD.map((o) => path.join(OLD_PHOTOS, o.name));
}
