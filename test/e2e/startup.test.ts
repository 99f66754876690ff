// The first moments after the window opens, on a busy machine: the engine's info and the stored settings arrive late.
// A person who drops a photo and presses Restore then gets it restored into the folder chosen in an earlier session,
// not asked for a folder again (and the stored settings, arriving after, do not undo anything).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppUnderTest, launchApp, OLD_PHOTOS, tmpDir } from './harness';

const PHOTO = path.join(OLD_PHOTOS, 'a.png');
let tmp: string;
let out: string;
let app: AppUnderTest;

beforeAll(async () => {
  tmp = tmpDir('e2e-startup');
  out = path.join(tmp, 'restored');
  app = await launchApp({
    userDataDir: path.join(tmp, 'user'),
    settings: { outDir: out },
    slowReplies: { getSettings: 4000, getInfo: 4000 },
  });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('a restore pressed before the stored settings have arrived', () => {
  it('waits for them and writes into the stored output folder, without asking for one', async () => {
    const { page } = app;
    await app.drop([PHOTO]);
    const row = page.getByTestId('queue-item');
    await expect.poll(() => row.count()).toBe(1);
    await page.getByTestId('restore').click();
    // pressed while the replies are still held back
    expect(app.calls.filter((c) => c.method === 'getSettings').length).toBe(1);
    expect(app.trace.some((l) => l.includes('reply getSettings'))).toBe(false);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 45_000 }).toBe('done');
    expect(app.calls.filter((c) => c.method === 'chooseFolder')).toEqual([]);
    const written = path.join(out, 'a.png');
    expect(fs.existsSync(written)).toBe(true);
    const [src, res] = await Promise.all([sharp(PHOTO).metadata(), sharp(written).metadata()]);
    expect([res.width, res.height]).toEqual([src.width, src.height]);
    expect(app.problems).toEqual([]);
  });
});
