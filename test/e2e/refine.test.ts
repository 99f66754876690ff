// Refine with strokes: a person restores a photo, switches to Refine, paints over a spot (undo and redo work),
// refines it into a new round, compares, saves it, goes back to the start and refines a masked area without colour.
// Then a second photo: each photo keeps its rounds and strokes when the person switches between them, a refine
// started while the engine is busy waits its turn (and can be cancelled while it waits), and removing a photo with
// refine work asks first. Throughout, closing or reloading the window is refused (beforeunload prevented, main asks)
// exactly while there is refine work that is not saved, and main is told what in words.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppUnderTest, launchApp, OLD_PHOTOS, paintStroke, tmpDir, visible } from './harness';

const PHOTO = path.join(OLD_PHOTOS, 'h.png'); // 372 x 524
const OTHER = path.join(OLD_PHOTOS, 'g.png');
let tmp: string;
let out: string;
let app: AppUnderTest;

beforeAll(async () => {
  tmp = tmpDir('e2e-refine');
  out = path.join(tmp, 'out');
  app = await launchApp({ userDataDir: path.join(tmp, 'user'), settings: { outDir: out, refineSteps: 10 } });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const paint = (dx: number, dy: number, len: number) => paintStroke(app.page, dx, dy, len);

const preventsUnload = () => app.preventsUnload();

async function alphaPixels(png: Uint8Array) {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
  return { n, width: info.width, height: info.height };
}

describe('refine with strokes', () => {
  it('paints, undoes and redoes, refines into a round, compares and saves it', async () => {
    const { page } = app;
    expect(await preventsUnload()).toBe(false); // nothing to lose yet
    expect(app.unsavedWork).toBeNull();
    await app.drop([PHOTO]);
    await page.getByTestId('restore').click();
    await expect.poll(() => page.getByTestId('queue-item').getAttribute('data-status')).toBe('done');

    await page.getByRole('button', { name: 'Refine', exact: true }).click();
    await visible(page.getByTestId('refine-photo'));
    expect(await page.getByTestId('refine-source').textContent()).toMatch(/Restored h.png/);
    await expect.poll(() => page.getByTestId('round').count()).toBe(1);

    const undo = page.getByTestId('undo');
    const redo = page.getByTestId('redo');
    expect(await undo.isDisabled()).toBe(true);
    await page.getByTestId('brush-size').fill('40');
    await paint(-60, -40, 120);
    expect(await undo.isEnabled()).toBe(true);
    await undo.click();
    expect(await redo.isEnabled()).toBe(true);
    await redo.click();
    expect(await redo.isDisabled()).toBe(true);
    await paint(-40, 30, 80);
    await app.screenshot('app-refine.png');
    // strokes not refined yet: closing or reloading the window would lose them, so the page refuses and says what
    await expect.poll(preventsUnload).toBe(true);
    await expect.poll(() => app.unsavedWork).toBe('Refine work would be lost: h.png (strokes not refined yet).');

    await page.getByTestId('refine-run').click();
    await expect.poll(() => page.getByTestId('round').count(), { timeout: 45_000 }).toBe(2);
    await visible(page.getByTestId('compare-after'));
    expect(await page.locator('[data-testid="round"][aria-current="true"]').getAttribute('data-round')).toBe('Round 1');

    // what was sent: the restored photo, and strokes as a PNG the photo's size with the painted pixels
    const call = app.calls.find((c) => c.method === 'startRefine')!;
    const req = call.args[0] as { source: { path: string }; strokes: Uint8Array; mask?: Uint8Array; settings: { steps: number } };
    expect(req.source).toEqual({ path: path.join(out, 'h.png') });
    expect(req.mask).toBeUndefined();
    expect(req.settings.steps).toBe(10);
    const painted = await alphaPixels(req.strokes);
    expect([painted.width, painted.height]).toEqual([372, 524]);
    expect(painted.n).toBeGreaterThan(500);
    await app.screenshot('app-refine-result.png');
    await expect.poll(() => app.unsavedWork).toBe('Refine work would be lost: h.png (1 refine round not saved).');
    expect(await preventsUnload()).toBe(true);

    await page.getByTestId('refine-save').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toMatch(/Saved h-refined-1-\d{8}-\d{6}\.png in /);
    const files = fs.readdirSync(out).filter((f) => f.includes('refined'));
    expect(files).toEqual([expect.stringMatching(/^h-refined-1-\d{8}-\d{6}\.png$/)]); // and no temp file left
    const saved = path.join(out, files[0]);
    const meta = await sharp(saved).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 372, 524]);
    // saved, and no strokes since: nothing to lose, the window closes without asking
    await expect.poll(preventsUnload).toBe(false);
    expect(app.unsavedWork).toBeNull();
    expect(app.problems).toEqual([]);
  });

  it('goes back to the start and refines a masked area without painting colour', async () => {
    const { page } = app;
    await page.locator('[data-testid="round"][data-round="Start"]').click();
    expect(await page.locator('[data-testid="round"][aria-current="true"]').getAttribute('data-round')).toBe('Start');
    await visible(page.getByTestId('refine-canvas'));
    await page.getByTestId('mask-only').click();
    await paint(0, 0, 60);
    const before = app.calls.filter((c) => c.method === 'startRefine').length;
    await page.getByTestId('refine-run').click();
    await expect.poll(() => page.getByTestId('round').count(), { timeout: 45_000 }).toBe(3);

    const req = app.calls.filter((c) => c.method === 'startRefine')[before].args[0] as {
      source: unknown;
      strokes: Uint8Array;
      mask?: Uint8Array;
    };
    expect(req.source).toEqual({ path: path.join(out, 'h.png') }); // from the start again
    expect((await alphaPixels(req.strokes)).n).toBe(0); // no colour painted
    expect((await alphaPixels(req.mask!)).n).toBeGreaterThan(200); // only where it may change
    expect(await page.locator('[data-testid="round"][aria-current="true"]').getAttribute('data-round')).toBe('Round 2');
    expect(app.problems).toEqual([]);
  });

  it("keeps each photo's rounds and strokes across switches; a refine waits its turn; removing asks first", async () => {
    const { page } = app;
    const mode = page.getByRole('navigation', { name: 'Mode' });
    const current = () => page.locator('[data-testid="round"][aria-current="true"]').getAttribute('data-round');
    const row = (name: string) => page.locator(`[data-testid="queue-item"][data-name="${name}"]`);
    const openInRefine = async (name: string) => {
      await mode.getByRole('button', { name: 'Restore' }).click();
      await row(name).locator('button').first().click();
      await mode.getByRole('button', { name: 'Refine' }).click();
      await expect.poll(() => page.getByTestId('refine-source').textContent()).toMatch(name);
    };

    // h.png: back to painting on Round 2, with a colour stroke not refined yet
    await page.getByTestId('refine-compare').click();
    await visible(page.getByTestId('refine-canvas'));
    await page.getByTestId('mask-only').click();
    await paint(-30, 60, 50);
    expect(await page.getByTestId('undo').isEnabled()).toBe(true);

    // the engine is busy (as while a batch restores a photo: one inference at a time)
    const release = await app.engine.gate.acquire('restore');
    try {
      // another photo: a fresh start; its refine waits for the engine
      await app.drop([OTHER]);
      await openInRefine('g.png');
      await expect.poll(() => page.getByTestId('round').count()).toBe(1);
      await paint(0, 0, 60);
      await page.getByTestId('refine-run').click();
      await expect.poll(() => page.getByTestId('refine-progress').getAttribute('data-queued')).toBe('true');
      expect(await page.getByTestId('refine-progress').textContent()).toMatch(/Waiting for the photo being restored/);

      // back to h.png: its rounds, the round on screen and the strokes (undo) are all still there
      await openInRefine('h.png');
      expect(await page.getByTestId('refine-source').textContent()).toMatch(/Restored h.png/);
      await expect.poll(() => page.getByTestId('round').count()).toBe(3);
      expect(await current()).toBe('Round 2');
      expect(await page.getByTestId('undo').isEnabled()).toBe(true);

      // a second refine waits behind the first; cancelling it while it waits removes it
      await page.getByTestId('refine-run').click();
      await expect.poll(() => page.getByTestId('refine-progress').textContent()).toMatch(/then 1 other refine before this one/);
      await page.getByTestId('refine-cancel').click();
      await expect.poll(() => page.getByTestId('notice').textContent()).toMatch(/Refine cancelled. Nothing was changed/);
      await visible(page.getByTestId('refine-run'));
      await expect.poll(() => app.engine.gate.waiting).toBe(1); // only g.png's is left in the line
    } finally {
      release();
    }

    // the engine is free: g.png's refine runs and its round lands in g.png's list while h.png is on screen
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 45_000 }).toMatch(/Round 1 of g.png is ready/);
    await expect.poll(() => page.getByTestId('round').count()).toBe(3); // h.png's list unchanged
    expect(await current()).toBe('Round 2');
    await openInRefine('g.png');
    await expect.poll(() => page.getByTestId('round').count()).toBe(2);
    expect(await current()).toBe('Round 1');

    // and back to h.png once more: its Round 2 can still be saved
    await openInRefine('h.png');
    expect(await current()).toBe('Round 2');
    expect(await page.getByTestId('undo').isEnabled()).toBe(true);
    await page.getByTestId('refine-save').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toMatch(/Saved h-refined-2-\d{8}-\d{6}\.png in /);
    expect(fs.readdirSync(out).filter((f) => /^h-refined-2-/.test(f))).toHaveLength(1);

    // removing g.png (its round is not saved) asks first; Keep keeps it, confirming removes it
    await mode.getByRole('button', { name: 'Restore' }).click();
    await row('g.png').hover();
    await page.getByRole('button', { name: 'Remove g.png from the list' }).click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toMatch(/Remove g.png from the list\? Its 1 refine round not saved will be lost/);
    await page.getByTestId('notice-cancel').click();
    expect(await page.getByTestId('queue-item').count()).toBe(2);
    await row('g.png').hover();
    await page.getByRole('button', { name: 'Remove g.png from the list' }).click();
    await page.getByTestId('notice-confirm').click();
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(1);

    // h.png still has a stroke not refined: leaving is refused until that work is gone too
    await expect.poll(() => app.unsavedWork).toBe('Refine work would be lost: h.png (strokes not refined yet).');
    expect(await preventsUnload()).toBe(true);
    await row('h.png').hover();
    await page.getByRole('button', { name: 'Remove h.png from the list' }).click();
    await page.getByTestId('notice-confirm').click();
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(0);
    await expect.poll(preventsUnload).toBe(false);
    expect(app.unsavedWork).toBeNull();
    expect(app.problems).toEqual([]);
  });
});
