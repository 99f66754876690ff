// Scratches & dust in the app: a photo with a painted scratch is restored (the scratch stage finds and fills it), "Show
// what was fixed" shows the marks over the result, the person adds a missed mark and erases a found one with the
// brushes, presses Fill, and the result changes only around those two places (the engine recomputes a crop).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paintDamage, writeRgbPng } from '../helpers/damage';
import { defaultReach } from '../helpers/reach';
import { crops } from '../helpers/photos';
import { axeViolations } from './axe';
import { type AppUnderTest, launchApp, MODELS, tmpDir, visible } from './harness';

let tmp: string;
let app: AppUnderTest;
let photo: string;
let W = 0;
let H = 0;

async function rgb(file: string): Promise<Uint8Array> {
  const { data } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

async function maskOf(output: string): Promise<Uint8Array> {
  const p = await app.engine.loadScratchMask(output);
  const { data } = await sharp(p.bytes).greyscale().raw().toBuffer({ resolveWithObject: true });
  return Uint8Array.from(data, (v) => (v > 127 ? 1 : 0));
}

/** Marked pixels of the overlay's canvas (alpha > 127), read in the page. */
const OVERLAY_MARKS = `(() => {
  const c = document.querySelector('[data-testid="scratch-overlay"] canvas');
  if (!c) return -1;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 127) n++;
  return n;
})()`;

beforeAll(async () => {
  tmp = tmpDir('e2e-scratches');
  const { data, info } = await sharp(crops(4)[3]).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  W = info.width;
  H = info.height;
  photo = path.join(tmp, 'scratched.png');
  await writeRgbPng(photo, paintDamage({ width: W, height: H, rgb: new Uint8Array(data) }).damaged);
  app = await launchApp({
    userDataDir: path.join(tmp, 'user'),
    settings: { outDir: path.join(tmp, 'restored') },
    modelsDir: MODELS,
  });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('scratches & dust', () => {
  it('shows what was fixed, takes an added and an erased mark, and fills only there', async () => {
    const { page } = app;
    await visible(page.getByTestId('scratch-settings'));
    expect(await page.getByTestId('scratches-on').isChecked()).toBe(true);
    await expect.poll(() => page.getByTestId('out-dir').textContent()).toMatch(/restored$/);
    await app.drop([photo]);
    await page.getByTestId('restore').click();
    const row = page.locator('[data-testid="queue-item"][data-name="scratched.png"]');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    const start = app.calls.find((c) => c.method === 'startRestore');
    expect(start?.args[0]).toMatchObject({ settings: { stages: { scratches: { enabled: true, sensitivity: 0.5 } } } });
    expect(JSON.stringify(start?.args)).not.toMatch(/saveMask/); // the engine, not the page, decides where masks go
    const output = path.join(tmp, 'restored', 'scratched.png');
    const found = await maskOf(output);
    const before = await rgb(output);

    // Show what was fixed: the marks over the result
    await page.getByTestId('show-fixed').click();
    await visible(page.getByTestId('scratch-overlay').locator('canvas'));
    const shown = (await page.evaluate(OVERLAY_MARKS)) as number;
    expect(shown).toBe(found.reduce((a, v) => a + v, 0));
    expect(shown).toBeGreaterThan(500);
    expect(await page.getByTestId('fix-fill').isDisabled()).toBe(true); // nothing changed yet

    const img = page.getByTestId('compare-after');
    const box = (await img.boundingBox())!;
    const at = (x: number, y: number) => ({ x: box.x + ((x + 0.5) * box.width) / W, y: box.y + ((y + 0.5) * box.height) / H });
    const stroke = async (pts: { x: number; y: number }[]) => {
      const p0 = at(pts[0].x, pts[0].y);
      await page.mouse.move(p0.x, p0.y);
      await page.mouse.down();
      for (const p of pts.slice(1)) {
        const q = at(p.x, p.y);
        await page.mouse.move(q.x, q.y, { steps: 4 });
      }
      await page.mouse.up();
    };

    // a missed mark: a line near the top, (140, 30) to (200, 30)
    await page.getByTestId('fix-add').click();
    await page.getByTestId('fix-size').fill('8');
    await stroke([{ x: 140, y: 30 }, { x: 170, y: 30 }, { x: 200, y: 30 }]);
    // a false mark: erase the found scratch along x 40..90 (the painted curve), with a wider brush
    await page.getByTestId('fix-erase').click();
    await page.getByTestId('fix-size').fill('18');
    const curve = (x: number) => Math.round(H * 0.35 + 25 * Math.sin(x / 40));
    await stroke(Array.from({ length: 11 }, (_, k) => ({ x: 40 + 5 * k, y: curve(40 + 5 * k) })));
    const band = (m: Uint8Array) => {
      let n = 0;
      for (let x = 45; x <= 85; x++) for (let y = curve(x) - 4; y <= curve(x) + 4; y++) n += m[y * W + x];
      return n;
    };
    expect(band(found)).toBeGreaterThan(30);
    await app.screenshot('app-scratches.png');
    expect(await axeViolations(page)).toEqual([]); // the tools and the settings group, with the marks shown

    // undo and redo the erase (a button, then the keys)
    await page.getByTestId('fix-undo').click();
    await page.keyboard.press('Control+Shift+Z');
    const edited = (await page.evaluate(OVERLAY_MARKS)) as number;
    expect(edited).not.toBe(shown);

    // another photo on screen and back: the corrections not filled yet are still there, with their undo
    await app.drop([crops(1)[0]]);
    await page.locator('[data-testid="queue-item"][data-name="crop-1.png"]').locator('button').first().click();
    await expect.poll(() => page.getByTestId('scratch-tools').count()).toBe(0); // not restored: nothing to show
    await row.locator('button').first().click();
    await visible(page.getByTestId('scratch-overlay').locator('canvas'));
    expect(await page.evaluate(OVERLAY_MARKS)).toBe(edited);
    expect(await page.getByTestId('fix-undo').isEnabled()).toBe(true);
    // leaving now would lose them: the window asks first, and says so
    expect(await app.preventsUnload()).toBe(true);
    await expect.poll(() => app.unsavedWork).toMatch(/Corrections of what was fixed are not filled yet: scratched.png/);

    // Fill
    const src = await img.getAttribute('src');
    await page.getByTestId('fix-fill').click();
    await expect.poll(() => img.getAttribute('src'), { timeout: 120_000 }).not.toBe(src);
    await expect.poll(() => page.getByTestId('fix-progress').count()).toBe(0);
    await expect.poll(() => app.preventsUnload()).toBe(false); // filled: nothing left to lose
    expect(await page.getByTestId('fix-undo').isDisabled()).toBe(true); // the new marks are the start again
    expect(app.calls.filter((c) => c.method === 'refillScratches')).toHaveLength(1);
    expect(app.calls.filter((c) => c.method === 'startRestore')).toHaveLength(1); // no new restore
    expect(await row.getAttribute('data-status')).toBe('done');

    // the engine's new mask: the added line is marked, the erased scratch is not
    const now = await maskOf(output);
    let line = 0;
    for (let x = 143; x <= 197; x++) line += now[30 * W + x];
    expect(line).toBeGreaterThan(50);
    expect(band(now)).toBe(0);
    // the overlay shows the new marks
    await expect.poll(() => page.evaluate(OVERLAY_MARKS)).toBe(now.reduce((a, v) => a + v, 0));

    // the result changed at both places, and nowhere beyond the local network's reach (its manifest overlap) from them
    const after = await rgb(output);
    const px = (a: Uint8Array, x: number, y: number) => [0, 1, 2].map((c) => a[3 * (y * W + x) + c]);
    const moved = (x: number, y: number) => Math.max(...px(after, x, y).map((v, c) => Math.abs(v - px(before, x, y)[c])));
    let atLine = 0;
    for (let x = 145; x <= 195; x++) atLine += moved(x, 30) > 3 ? 1 : 0;
    expect(atLine).toBeGreaterThan(25);
    let atErased = 0;
    for (let x = 45; x <= 85; x++) atErased += moved(x, curve(x)) > 3 ? 1 : 0;
    expect(atErased).toBeGreaterThan(20);
    const lowest = Math.max(...Array.from({ length: 11 }, (_, k) => curve(40 + 5 * k))) + 9;
    let far = 0;
    const reach = defaultReach(MODELS);
    expect(lowest + reach + 40).toBeLessThan(H); // the photo reaches past it
    for (let y = lowest + reach + 2; y < H; y++) for (let x = 0; x < W; x++) far = Math.max(far, moved(x, y));
    expect(far).toBe(0);
    expect(app.problems).toEqual([]);
  }, 240_000);
});
