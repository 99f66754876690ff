// The pictures of the app in docs/ (app-*.png), taken from the real page in Chromium against the real engine.
// Not a test: a generator, run when the UI changes: npm run screenshots (vitest.screenshots.config.ts).
// It uses models/ when that holds a restore model; until the trained one lands, the fixture restore model (so the
// "after" side shows the fixture's output, not a real restoration) next to the shipped diffusion model for Refine.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/shared/types';
import { type AppUnderTest, launchApp, ROOT, tmpDir, visible } from './harness';

// The docs' screenshots show the eight scanned old photos of ../shared (the tests use the four of samples/): this
// generator of docs/app-*.png (npm run screenshots) is not a test and runs where ../shared is (or where
// REVIVE_SHOTS_PHOTOS names the folder of those photos, e.g. from a git worktree).
const OLD_PHOTOS = process.env.REVIVE_SHOTS_PHOTOS ?? path.resolve(ROOT, '../shared/datasets/old-photos');

const DOCS = path.join(ROOT, 'docs');
let tmp: string;

/** models/ if it can restore; else a folder with the fixture restore model and models/'s diffusion model. */
function modelsForShots(): string {
  const real = path.join(ROOT, 'models');
  const fixtures = path.join(ROOT, 'test/fixtures/models');
  const load = (d: string) => JSON.parse(fs.readFileSync(path.join(d, 'manifest.json'), 'utf8')) as Manifest;
  const m = load(real);
  const hasRestore = m.models.some((x) => x.kind === 'restore' && fs.existsSync(path.join(real, x.file)));
  if (hasRestore) return real;
  const f = load(fixtures);
  const dir = path.join(tmp, 'models');
  fs.mkdirSync(dir, { recursive: true });
  const restore = f.models.find((x) => x.id === f.default_restore)!;
  const diffusion = m.models.find((x) => x.id === m.default_diffusion) ?? f.models.find((x) => x.id === f.default_diffusion)!;
  const from = (x: { id: string }) => (m.models.includes(x as never) ? real : fixtures);
  for (const x of [restore, diffusion]) fs.symlinkSync(path.join(from(x), x.file), path.join(dir, x.file));
  const manifest: Manifest = { version: 1, default_restore: restore.id, default_diffusion: diffusion.id, models: [restore, diffusion] };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

/** The little of the page's DOM the generator touches (this file is type-checked without the DOM library). */
interface Page {
  document: { documentElement: { dataset: Record<string, string> } };
}

let app: AppUnderTest;
let out: string;
let shoebox: string;

beforeAll(async () => {
  tmp = tmpDir('docs-shots');
  out = path.join(tmp, 'Pictures', 'Restored');
  shoebox = path.join(tmp, 'Shoebox');
  fs.mkdirSync(shoebox);
  for (const f of ['a.png', 'b.png', 'g.png', 'h.png', 'f.png']) fs.symlinkSync(path.join(OLD_PHOTOS, f), path.join(shoebox, f));
  const jpeg = await sharp(path.join(OLD_PHOTOS, 'c.png')).jpeg().toBuffer();
  fs.writeFileSync(path.join(shoebox, 'grandpa-1931.jpg'), jpeg.subarray(0, 4096)); // a scan cut short
  app = await launchApp({
    userDataDir: path.join(tmp, 'user'),
    settings: { outDir: out, refineSteps: 20 },
    modelsDir: modelsForShots(),
    shotsDir: DOCS,
  });
});

afterAll(async () => {
  await app?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('docs screenshots', () => {
  it('app-empty, app-batch, app-restore, app-zoom', async () => {
    const { page } = app;
    await visible(page.getByTestId('empty-state'));
    await app.screenshot('app-empty.png');

    await app.drop([shoebox]);
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(6);
    await page.getByTestId('restore').click();
    await visible(page.getByTestId('batch-notice'), 60_000);
    await page.locator('[data-testid="queue-item"][data-name="g.png"]').getByRole('button').first().click();
    await visible(page.getByTestId('compare-after'));
    await page.waitForTimeout(300);
    await app.screenshot('app-batch.png');

    await page.getByTestId('batch-notice').getByRole('button', { name: 'Dismiss' }).click();
    await page.locator('[data-testid="queue-item"][data-name="a.png"]').getByRole('button').first().click();
    await visible(page.getByTestId('compare-after'));
    const stage = page.getByTestId('compare');
    const b = (await stage.boundingBox())!;
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2); // the split handle
    await page.mouse.down();
    await page.mouse.move(b.x + b.width * 0.56, b.y + b.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForTimeout(200);
    await app.screenshot('app-restore.png');

    await page.mouse.move(b.x + b.width * 0.5, b.y + b.height * 0.38);
    await page.mouse.wheel(0, -900);
    await page.waitForTimeout(300);
    await app.screenshot('app-zoom.png');
    await page.getByTestId('zoom-fit').click();

    // side by side; then the light theme; then a small window (800 x 600) with every button on screen
    await page.getByTestId('side-by-side').click();
    await page.waitForTimeout(200);
    await app.screenshot('app-side-by-side.png');
    await page.getByTestId('side-by-side').click();
    await app.engine.setSettings({ theme: 'light' });
    // (runs in the page)
    const theme = (t: string) => page.evaluate((v) => ((globalThis as unknown as Page).document.documentElement.dataset.theme = v), t);
    await theme('light');
    await page.waitForTimeout(200);
    await app.screenshot('app-light.png');
    await theme('dark');
    await page.setViewportSize({ width: 800, height: 600 });
    await page.waitForTimeout(300);
    await app.screenshot('app-small.png');
    await page.keyboard.press('Shift+?');
    await visible(page.getByTestId('shortcuts'));
    await app.screenshot('app-shortcuts.png');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('app-refine, app-refine-result', async () => {
    const { page } = app;
    await page.locator('[data-testid="queue-item"][data-name="f.png"]').getByRole('button').first().click();
    await page.getByRole('navigation', { name: 'Mode' }).getByRole('button', { name: 'Refine' }).click();
    const photo = page.getByTestId('refine-photo');
    await visible(photo);
    await page.waitForTimeout(300);
    const r = (await photo.boundingBox())!;
    const at = (x: number, y: number) => ({ x: r.x + (x / 640) * r.width, y: r.y + (y / 960) * r.height });

    // a rope across the water, as thin as a scratch: pick the water's colour beside it and paint over it
    await page.getByTestId('tool-picker').click();
    const pick = at(82, 783);
    await page.mouse.click(pick.x, pick.y);
    await page.getByTestId('brush-size').fill('10');
    const a = at(30, 757);
    const z = at(150, 907);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(z.x, z.y, { steps: 24 });
    await page.mouse.up();
    const c = at(170, 880);
    await page.mouse.move(c.x, c.y);
    await app.screenshot('app-refine.png');

    await page.getByTestId('refine-run').click();
    await expect.poll(() => page.getByTestId('round').count(), { timeout: 120_000 }).toBe(2);
    await visible(page.getByTestId('compare-after'));
    // the split line left of the rope, so the refined side shows where it was
    const stage = (await page.getByTestId('compare').boundingBox())!;
    await page.mouse.move(stage.x + stage.width / 2, stage.y + stage.height / 2);
    await page.mouse.down();
    await page.mouse.move(at(12, 0).x, stage.y + stage.height / 2, { steps: 6 });
    await page.mouse.up();
    await page.waitForTimeout(300);
    await app.screenshot('app-refine-result.png');
  });
});
