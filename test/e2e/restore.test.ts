// A person drops one old photo on the window and restores it: the result is written, decodes, and the comparison
// view shows it next to the original, with zoom to 100% and back to fit.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppUnderTest, launchApp, OLD_PHOTOS, tmpDir, visible } from './harness';

const PHOTO = path.join(OLD_PHOTOS, 'a.png'); // a real scanned old photo, read in place
let tmp: string;
let out: string;
let app: AppUnderTest;

beforeAll(async () => {
  tmp = tmpDir('e2e-restore');
  out = path.join(tmp, 'restored');
  app = await launchApp({ userDataDir: path.join(tmp, 'user'), settings: { outDir: out } });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('restore one photo', () => {
  it('shows the empty window, ready for photos', async () => {
    const { page } = app;
    await visible(page.getByTestId('empty-state'));
    await expect.poll(() => page.getByTestId('out-dir').textContent()).toMatch(/restored$/);
    await app.screenshot('app-empty.png');
  });

  it('drops a photo, restores it, writes a decodable file and shows it in the comparison view', async () => {
    const { page } = app;
    await app.drop([PHOTO]);

    const row = page.getByTestId('queue-item');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getAttribute('data-name')).toBe('a.png');
    await visible(page.getByTestId('compare-before')); // the original, before restoring
    expect(await page.getByTestId('compare-after').count()).toBe(0);

    await page.getByTestId('restore').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 45_000 }).toBe('done');
    expect(await row.getByTestId('queue-line').textContent()).toMatch(/^Restored in /);
    await expect.poll(() => page.getByTestId('status-summary').textContent()).toMatch(/1 restored/);

    // the file: where the settings said, same format as the original, same size, decodes
    const output = path.join(out, 'a.png');
    expect(fs.existsSync(output)).toBe(true);
    const [inMeta, outMeta] = await Promise.all([sharp(PHOTO).metadata(), sharp(output).metadata()]);
    expect(outMeta.format).toBe('png');
    expect([outMeta.width, outMeta.height]).toEqual([inMeta.width, inMeta.height]);
    const { info } = await sharp(output).raw().toBuffer({ resolveWithObject: true });
    expect(info.width * info.height).toBeGreaterThan(0);

    // the comparison view shows the result (a loaded blob: image of the photo's full size) over the original
    const after = page.getByTestId('compare-after');
    await visible(after);
    expect(await after.getAttribute('src')).toMatch(/^blob:/);
    const natural = () =>
      after.evaluate((img) => {
        const i = img as unknown as { naturalWidth: number; naturalHeight: number; complete: boolean };
        return i.complete ? [i.naturalWidth, i.naturalHeight] : [0, 0];
      });
    await expect.poll(natural).toEqual([inMeta.width, inMeta.height]);
    await visible(page.getByText('Before', { exact: true }));
    await visible(page.getByText('After', { exact: true }));

    // where it ran, in plain words (this machine has no NVIDIA GPU: nothing about CUDA, issue 15)
    await expect.poll(() => page.getByTestId('status-provider').textContent()).toMatch(/Ran on the processor/);
    expect(await page.getByTestId('status-provider').textContent()).not.toMatch(/CUDA|NVIDIA|GPU/);
    await app.screenshot('app-restore.png');

    // the requests went through the same contract main validates (nothing the renderer sent was refused)
    const start = app.calls.find((c) => c.method === 'startRestore');
    expect(start?.args[0]).toMatchObject({ inputs: [PHOTO], outDir: out, settings: { format: 'same' } });
  });

  it('zooms to 100%, zooms with the wheel around the cursor, pans, and fits again', async () => {
    const { page } = app;
    const stage = page.getByTestId('compare');
    await page.getByTestId('zoom-100').click();
    await expect.poll(() => stage.getAttribute('data-zoom')).toBe('100');
    expect(await page.getByTestId('zoom-pct').textContent()).toBe('100%');

    const box = (await stage.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -1200);
    await expect.poll(async () => Number(await stage.getAttribute('data-zoom'))).toBeGreaterThan(100);
    const zoomed = Number(await stage.getAttribute('data-zoom'));

    // drag to pan: the image moves with the pointer
    const img = page.getByTestId('compare-after');
    const before = await img.boundingBox();
    await page.mouse.move(box.x + box.width / 2 + 100, box.y + box.height / 2 + 100);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 60, { steps: 4 });
    await page.mouse.up();
    const moved = await img.boundingBox();
    expect(moved!.x).toBeLessThan(before!.x);
    expect(Number(await stage.getAttribute('data-zoom'))).toBe(zoomed);

    await page.getByTestId('zoom-fit').click();
    await expect.poll(async () => Number(await stage.getAttribute('data-zoom'))).toBeLessThan(zoomed);
    expect(app.problems).toEqual([]);
  });

  it('a photo waiting for a refine that holds the engine says so, then restores when it is free', async () => {
    const { page } = app;
    const second = path.join(OLD_PHOTOS, 'g.png');
    await app.drop([second]);
    const row = page.locator('[data-testid="queue-item"][data-name="g.png"]');
    await expect.poll(() => row.count()).toBe(1);
    const release = await app.engine.gate.acquire('refine'); // as a running refine does
    try {
      await page.getByTestId('restore').click();
      await expect.poll(() => row.getByTestId('queue-line').textContent()).toBe('Waiting for the refine to finish…');
      expect(await row.getAttribute('data-status')).toBe('working');
    } finally {
      release();
    }
    await expect.poll(() => row.getAttribute('data-status')).toBe('done');
    expect(await row.getByTestId('queue-line').textContent()).toMatch(/^Restored in /);
    expect(fs.existsSync(path.join(out, 'g.png'))).toBe(true);
    expect(app.problems).toEqual([]);
  });
});
