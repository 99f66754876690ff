// Colour a black-and-white photo in Refine: a person opens a grey photo, picks the Colour brush, paints a stroke of
// one memory colour from the palette on the background and one of another on the coat; the live preview follows
// each stroke and undo/redo; Apply colour makes a full-resolution round, which is saved, and the saved photo has
// those hues where they were painted (and its lightness).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearTable, linearToOklab } from '../../src/core/colorize/oklab';
import { type AppUnderTest, launchApp, OLD_PHOTOS, tmpDir, visible } from './harness';

let tmp: string;
let out: string;
let grey: string;
let app: AppUnderTest;

beforeAll(async () => {
  tmp = tmpDir('e2e-colorize');
  out = path.join(tmp, 'out');
  grey = path.join(tmp, 'man-grey.png');
  fs.mkdirSync(out, { recursive: true });
  await sharp(path.join(OLD_PHOTOS, 'h.png')).greyscale().png().toFile(grey); // a real old portrait, 372 x 524, grey
  app = await launchApp({ userDataDir: path.join(tmp, 'user'), settings: { outDir: out } });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Paints a short horizontal stroke at (fx, fy) (fractions of the photo on screen); returns its middle in photo pixels. */
async function paint(fx: number, fy: number, len: number) {
  const img = (await app.page.getByTestId('refine-photo').boundingBox())!;
  const x = img.x + img.width * fx;
  const y = img.y + img.height * fy;
  await app.page.mouse.move(x, y);
  await app.page.mouse.down();
  for (let i = 1; i <= 8; i++) await app.page.mouse.move(x + (len * i) / 8, y);
  await app.page.mouse.up();
  return { x: Math.round(((x + len / 2 - img.x) / img.width) * 372), y: Math.round(((y - img.y) / img.height) * 524) };
}

const lin = linearTable(255);
function oklabAt(rgb: Buffer, w: number, x: number, y: number) {
  const i = 3 * (y * w + x);
  const o = new Float64Array(3);
  linearToOklab(lin[rgb[i]], lin[rgb[i + 1]], lin[rgb[i + 2]], o);
  return o;
}
/** Oklab of a swatch's colour as the page shows it ("rgb(r, g, b)"). */
async function swatchLab(testId: string) {
  const css = await app.page.getByTestId(testId).evaluate((el) => (el as unknown as { style: { backgroundColor: string } }).style.backgroundColor);
  const [r, g, b] = css.match(/\d+/g)!.map(Number);
  const o = new Float64Array(3);
  linearToOklab(lin[r], lin[g], lin[b], o);
  return o;
}
const hueDiff = (a: Float64Array, b: Float64Array) => {
  const d = Math.atan2(a[2], a[1]) - Math.atan2(b[2], b[1]);
  return Math.abs(Math.atan2(Math.sin(d), Math.cos(d)));
};
const colorizeCalls = () => app.calls.filter((c) => c.method === 'colorize');

describe('colour a black-and-white photo', () => {
  it('paints two colours with the Colour brush, previews, applies at full resolution and saves those hues', async () => {
    const { page } = app;
    await app.drop([grey]);
    await page.getByRole('navigation', { name: 'Mode' }).getByRole('button', { name: 'Refine' }).click();
    await visible(page.getByTestId('refine-photo'));

    await page.getByTestId('tool-color').click();
    await visible(page.getByTestId('palette'));
    await page.getByTestId('brush-size').fill('36');
    await page.getByTestId('swatch-sky').click();
    const sky = await paint(0.1, 0.12, 60); // the wall behind him, top left
    await visible(page.getByTestId('colour-preview'));
    await page.getByTestId('swatch-red-fabric').click();
    const coat = await paint(0.3, 0.9, 60); // his coat, bottom
    await expect.poll(() => colorizeCalls().length).toBeGreaterThanOrEqual(2);
    const preview = colorizeCalls().at(-1)!.args[0] as { previewSize?: number; source: { path: string } };
    expect(preview.previewSize).toBe(1024);
    expect(preview.source).toEqual({ path: grey });

    // undo takes the coat's stroke away and the preview follows; redo brings it back
    const n = colorizeCalls().length;
    await page.getByTestId('undo').click();
    await expect.poll(() => colorizeCalls().length).toBeGreaterThan(n);
    await page.getByTestId('redo').click();
    await expect.poll(() => colorizeCalls().length).toBeGreaterThan(n + 1);
    await app.screenshot('app-colorize.png');

    await page.getByTestId('colour-apply').click();
    await expect.poll(() => page.getByTestId('round').count(), { timeout: 30_000 }).toBe(2);
    expect(await page.locator('[data-testid="round"][aria-current="true"]').getAttribute('data-round')).toBe('Colour 1');
    const full = colorizeCalls().at(-1)!.args[0] as { previewSize?: number; strokes: Uint8Array };
    expect(full.previewSize).toBeUndefined();
    const meta = await sharp(full.strokes).metadata();
    expect([meta.width, meta.height]).toEqual([372, 524]);

    await page.getByTestId('refine-save').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toMatch(/Saved man-grey-refined-1-\d{8}-\d{6}\.png in /);
    const saved = path.join(out, fs.readdirSync(out).find((f) => f.includes('refined'))!);
    const { data, info } = await sharp(saved).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([372, 524, 3]);
    const want = { sky: await swatchLab('swatch-sky'), coat: await swatchLab('swatch-red-fabric') };
    for (const [where, at, c] of [['sky', sky, want.sky], ['coat', coat, want.coat]] as const) {
      const got = oklabAt(data, 372, at.x, at.y);
      expect(Math.hypot(got[1], got[2]), where).toBeGreaterThan(0.02);
      expect(hueDiff(got, c), where).toBeLessThan(0.4);
    }
    // the lightness is the grey photo's
    const g = await sharp(grey).removeAlpha().toColourspace('srgb').raw().toBuffer();
    let se = 0;
    for (let y = 0; y < 524; y += 2) for (let x = 0; x < 372; x += 2) se += (oklabAt(data, 372, x, y)[0] - oklabAt(g, 372, x, y)[0]) ** 2;
    expect(10 * Math.log10(1 / (se / (262 * 186)))).toBeGreaterThan(40);
    expect(app.problems).toEqual([]);
  });
});
