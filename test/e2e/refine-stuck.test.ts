// Refine opened on a photo before it is restored, then the photo is restored and refined: the round can be compared,
// "Back to painting" works and the round can be saved.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppUnderTest, launchApp, OLD_PHOTOS, paintStroke, tmpDir, visible } from './harness';

const PHOTO = path.join(OLD_PHOTOS, 'h.png');
let tmp: string;
let out: string;
let app: AppUnderTest;

beforeAll(async () => {
  tmp = tmpDir('e2e-refine-stuck');
  out = path.join(tmp, 'out');
  app = await launchApp({ userDataDir: path.join(tmp, 'user'), settings: { outDir: out, refineSteps: 10 } });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const paint = () => paintStroke(app.page, 0, 0, 80);

describe('refine opened before the restore', () => {
  it('refines after the restore: compare, back to painting and save work', async () => {
    const { page } = app;
    await app.drop([PHOTO]);
    await page.getByRole('navigation', { name: 'Mode' }).getByRole('button', { name: 'Refine' }).click();
    await visible(page.getByTestId('refine-photo'));
    await page.getByRole('navigation', { name: 'Mode' }).getByRole('button', { name: 'Restore' }).click();
    await page.getByTestId('restore').click();
    await expect.poll(() => page.getByTestId('queue-item').getAttribute('data-status')).toBe('done');
    await page.getByRole('navigation', { name: 'Mode' }).getByRole('button', { name: 'Refine' }).click();
    await visible(page.getByTestId('refine-photo'));
    await paint();
    await page.getByTestId('refine-run').click();
    await expect.poll(() => page.getByTestId('round').count(), { timeout: 60_000 }).toBe(2);
    const cmp = page.getByTestId('refine-compare');
    await expect.poll(() => cmp.textContent()).toMatch(/Back to painting/);
    await expect.poll(() => cmp.isEnabled(), { timeout: 3000 }).toBe(true);
    await cmp.click();
    await expect.poll(() => cmp.textContent()).toMatch(/Compare/);
    await page.getByTestId('refine-save').click();
    await expect.poll(() => fs.readdirSync(out).filter((f) => f.includes('refined')).length).toBe(1);
  });
});
