// A person starts a batch, watches its progress (time left, the bar) and cancels it: the photos already done stay,
// the rest are marked cancelled, no partial file is left, and they can be restored later. While it runs, closing or
// reloading the window asks first (the page refuses beforeunload and tells main what is running).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppUnderTest, CROPS, launchApp, OLD_PHOTOS, tmpDir, visible } from './harness';

let tmp: string;
let out: string;
let app: AppUnderTest;
// six real photos (the four old photos of samples/ and two crops of them), each enlarged to twice its size so
// that the batch is still running when Cancel is clicked (scans of about 1-2.5 MP each)
const SOURCES = [
  ...['b.png', 'g.png', 'h.png', 'a.png'].map((f) => path.join(OLD_PHOTOS, f)),
  ...['crop-1.png', 'crop-3.png'].map((f) => path.join(CROPS, f)),
];
let PHOTOS: string[] = [];

beforeAll(async () => {
  tmp = tmpDir('e2e-cancel');
  out = path.join(tmp, 'restored');
  fs.mkdirSync(path.join(tmp, 'scans'));
  PHOTOS = await Promise.all(
    SOURCES.map(async (src) => {
      const dst = path.join(tmp, 'scans', path.basename(src));
      const { width } = await sharp(src).metadata();
      await sharp(src).resize({ width: 2 * width! }).png().toFile(dst);
      return dst;
    }),
  );
  app = await launchApp({ userDataDir: path.join(tmp, 'user'), settings: { outDir: out, format: 'jpeg', quality: 85 } });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('cancel a batch', () => {
  it('shows progress while running, stops on Cancel, keeps what is done and leaves no partial file', async () => {
    const { page } = app;
    await app.drop(PHOTOS);
    const rows = page.getByTestId('queue-item');
    await expect.poll(() => rows.count()).toBe(PHOTOS.length);

    await page.getByTestId('restore').click();
    await page.locator('[data-testid="queue-item"][data-status="working"]').first().waitFor({ timeout: 20_000 });
    await visible(page.getByTestId('status-progress'));
    expect(await page.getByTestId('status-progress').textContent()).toMatch(/Restoring \d of 6 photos · \d+% · /);
    await app.screenshot('app-running.png');
    expect(await app.preventsUnload()).toBe(true);
    await expect.poll(() => app.unsavedWork).toMatch(/^A restore is still running \(\d of 6 photos done\)\.$/);
    await page.getByTestId('cancel').click();

    await visible(page.getByTestId('status-summary'), 30_000);
    const statuses = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    const done = statuses.filter((s) => s === 'done').length;
    const cancelled = statuses.filter((s) => s === 'cancelled').length;
    expect(cancelled).toBeGreaterThan(0);
    expect(done + cancelled).toBe(PHOTOS.length);
    expect(await page.getByTestId('status-summary').textContent()).toMatch(new RegExp(`${done} restored, ${cancelled} cancelled`));

    // exactly the finished photos were written, whole, and nothing else (no temp files)
    const written = fs.existsSync(out) ? fs.readdirSync(out).filter((f) => f !== '.revive') : []; // .revive: the ledger
    expect(written.sort()).toEqual(
      PHOTOS.filter((_, i) => statuses[i] === 'done')
        .map((p) => path.basename(p, '.png') + '.jpg')
        .sort(),
    );

    // nothing running any more, nothing to lose: the window closes without asking
    await expect.poll(() => app.preventsUnload()).toBe(false);
    expect(app.unsavedWork).toBeNull();

    // the cancelled ones can be restored later
    expect(await page.getByTestId('restore').textContent()).toMatch(new RegExp(`Try ${cancelled} photos? again`));
    expect(app.problems).toEqual([]);
  });
});
