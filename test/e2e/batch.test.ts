// A person picks an output folder, drops a folder of old photos in which one file is damaged, and restores the batch:
// every other photo is restored (mirroring the folder), the damaged one is reported in the list in plain words, and
// nothing is written for it.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppUnderTest, CROPS, launchApp, OLD_PHOTOS, tmpDir, visible } from './harness';

let tmp: string;
let photos: string;
let out: string;
let app: AppUnderTest;
const GOOD = ['h.png', 'g.png', 'nested/crop-2.png'];
const BAD = 'torn-scan.jpg';

beforeAll(async () => {
  tmp = tmpDir('e2e-batch');
  photos = path.join(tmp, 'shoebox');
  out = path.join(tmp, 'restored');
  fs.mkdirSync(path.join(photos, 'nested'), { recursive: true });
  // real photos, read in place through links; one of them in a subfolder
  fs.symlinkSync(path.join(OLD_PHOTOS, 'h.png'), path.join(photos, 'h.png'));
  fs.symlinkSync(path.join(OLD_PHOTOS, 'g.png'), path.join(photos, 'g.png'));
  fs.symlinkSync(path.join(CROPS, 'crop-2.png'), path.join(photos, 'nested/crop-2.png'));
  // a damaged file: the first 2 KB of a real JPEG, as a scan cut short
  const jpeg = await sharp(path.join(OLD_PHOTOS, 'a.png')).jpeg({ quality: 90 }).toBuffer();
  fs.writeFileSync(path.join(photos, BAD), jpeg.subarray(0, 2048));
  fs.writeFileSync(path.join(photos, 'notes.txt'), 'not a photo');
  app = await launchApp({ userDataDir: path.join(tmp, 'user') });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('batch a folder', () => {
  it('chooses the output folder, drops the folder, restores every good photo and reports the damaged one in words', async () => {
    const { page } = app;

    // the output folder, through the folder dialog (chooseFolder)
    expect(await page.getByTestId('out-dir').textContent()).toBe('Not chosen yet');
    app.nextFolder = out;
    await page.getByTestId('choose-out').click();
    await expect.poll(() => page.getByTestId('out-dir').textContent()).toMatch(/restored$/);
    await expect.poll(async () => (await app.engine.getSettings()).outDir).toBe(out); // saved (the reply follows the page's own update)

    // the folder: all four image files are listed (the .txt is not)
    await app.drop([photos]);
    const rows = page.getByTestId('queue-item');
    await expect.poll(() => rows.count()).toBe(4);
    const names = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
    expect(names.sort()).toEqual(['crop-2.png', 'g.png', 'h.png', BAD].sort());
    await expect.poll(() => page.getByTestId('restore').textContent()).toMatch(/Restore 4 photos/);

    await page.getByTestId('restore').click();
    await visible(page.getByTestId('status-summary'), 45_000);
    expect(await page.getByTestId('status-summary').textContent()).toMatch(/3 restored, 1 failed/);

    // every good photo: done in the list, written (same layout as the folder), decodable
    for (const rel of GOOD) {
      const row = page.locator(`[data-testid="queue-item"][data-name="${path.basename(rel)}"]`);
      expect(await row.getAttribute('data-status')).toBe('done');
      const meta = await sharp(path.join(out, rel)).metadata();
      const orig = await sharp(path.join(photos, rel)).metadata();
      expect([meta.width, meta.height]).toEqual([orig.width, orig.height]);
    }

    // the damaged one: an error in words a person understands, no output file, and a notice saying so
    const bad = page.locator(`[data-testid="queue-item"][data-name="${BAD}"]`);
    expect(await bad.getAttribute('data-status')).toBe('error');
    const why = (await bad.getByTestId('queue-line').textContent()) ?? '';
    expect(why.length).toBeGreaterThan(10);
    expect(why).toMatch(/damaged|truncated|cut short|incomplete|corrupt|not .*read|cannot|could not/i);
    expect(why).not.toMatch(/\bat \S+:\d+|Error:|undefined|\[object/); // no stack traces or programmer talk
    expect(fs.existsSync(path.join(out, 'torn-scan.jpg'))).toBe(false);
    expect(fs.readdirSync(out).filter((f) => f.includes('torn'))).toEqual([]);
    // the finished batch: a notice with the counts and the output folder; no "Try again" for a file that is no photo
    const done = page.getByTestId('batch-notice');
    await expect.poll(() => done.textContent()).toMatch(/Finished in .*: 3 photos restored, 1 failed\. The list says why\./);
    expect(await page.getByTestId('batch-retry').count()).toBe(0);
    expect(await bad.getAttribute('data-error-kind')).toBe('file');
    expect(why).toMatch(/Trying again will not help/);
    expect(await page.getByTestId('restore').isDisabled()).toBe(true); // nothing a retry could fix
    await page.getByTestId('open-output').click();
    await expect.poll(() => app.revealed.length).toBe(1);
    expect(path.dirname(app.revealed[0]).startsWith(out)).toBe(true);

    await bad.getByRole('button').first().click(); // selecting it shows why it cannot be shown either
    await visible(page.getByTestId('viewer-error'));

    await page.locator('[data-testid="queue-item"][data-name="g.png"]').getByRole('button').first().click();
    await visible(page.getByTestId('compare-after'));
    await app.screenshot('app-batch.png');
    expect(app.problems).toEqual([]);
  });
});
