// Colour & fading: a faded old photo is restored (the tone stage runs first, with the shipped tone model), then the
// person moves the Colour & fading strength slider: the result's preview changes at once, with no new engine job.
// With the stage off (the default), the viewer says the photo looks faded; one click turns it on, again with no job.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppUnderTest, launchApp, OLD_PHOTOS, tmpDir, visible } from './harness';

const PHOTO = path.join(OLD_PHOTOS, 'b.png'); // a real colour print with a strong green-yellow cast, read in place
let tmp: string;
let app: AppUnderTest;

beforeAll(async () => {
  tmp = tmpDir('e2e-tone');
  app = await launchApp({ userDataDir: path.join(tmp, 'user'), settings: { outDir: path.join(tmp, 'restored') } });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The result preview's pixels, summed per channel (what the person sees changes when these change). In the page. */
const SUMS = `(async () => {
  const img = document.querySelector('[data-testid="compare-after"]');
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  const sums = [0, 0, 0];
  for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++) sums[k] += d[i + k];
  return { src: img.src, sums };
})()`;

function afterSums(app: AppUnderTest): Promise<{ src: string; sums: number[] }> {
  return app.page.evaluate(SUMS) as Promise<{ src: string; sums: number[] }>;
}

describe('colour & fading', () => {
  it('restores with the tone stage and changes the preview live when the strength slider moves', async () => {
    const { page } = app;
    await visible(page.getByTestId('tone-settings'));
    await expect.poll(() => page.getByTestId('out-dir').textContent()).toMatch(/restored$/); // settings loaded
    await app.drop([PHOTO]);
    await page.getByTestId('restore').click();
    const row = page.getByTestId('queue-item');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    await visible(page.getByTestId('compare-after'));

    // the job sent the tone settings, and the engine returned the photo's mapping with the result
    const starts = () => app.calls.filter((c) => c.method === 'startRestore').length;
    expect(starts()).toBe(1);
    const start = app.calls.find((c) => c.method === 'startRestore');
    expect(start?.args[0]).toMatchObject({ settings: { stages: { tone: { strength: 0, mode: 'auto' } } } });
    await expect.poll(async () => (await afterSums(app)).src).toMatch(/^blob:/);
    const full = await afterSums(app);

    // off by default; move the slider to 100 %: the preview is recomputed in the page from the returned mapping
    const slider = page.getByTestId('tone-strength');
    await slider.fill('100');
    await expect.poll(async () => (await afterSums(app)).src, { timeout: 20_000 }).not.toBe(full.src);
    const none = await afterSums(app);
    const moved = none.sums.reduce((s, v, k) => s + Math.abs(v - full.sums[k]), 0) / full.sums.reduce((a, b) => a + b, 0);
    expect(moved).toBeGreaterThan(0.002); // the faded print's correction is visible in the picture's sums
    await app.screenshot('app-tone.png');

    // and back to 0: the restore's own result again
    await slider.fill('0');
    await expect.poll(async () => (await afterSums(app)).sums, { timeout: 20_000 }).toEqual(full.sums);

    // no new engine job: the only restore request is the first one, and the setting was saved
    expect(starts()).toBe(1);
    await expect.poll(() => app.calls.some((c) => c.method === 'setSettings' && JSON.stringify(c.args).includes('toneStrength'))).toBe(true);
    expect(app.problems).toEqual([]);
  }, 240_000);

  it('says a faded print looks faded while the stage is off, and one click brings its colour back', async () => {
    const { page } = app;
    const starts = () => app.calls.filter((c) => c.method === 'startRestore').length;
    // the photo restored above, the slider back at 0: the tone model found it faded (amount 1), so the viewer says so
    await visible(page.getByTestId('faded-hint'));
    await app.screenshot('app-faded-hint.png');
    const off = await afterSums(app);
    await page.getByTestId('bring-back-colour').click();
    await expect.poll(async () => (await afterSums(app)).src, { timeout: 20_000 }).not.toBe(off.src);
    const on = await afterSums(app);
    const moved = on.sums.reduce((s, v, k) => s + Math.abs(v - off.sums[k]), 0) / off.sums.reduce((a, b) => a + b, 0);
    expect(moved).toBeGreaterThan(0.002);
    // saved as the setting (the slider shows it), the hint gone, and still the one engine job
    await expect.poll(() => page.getByTestId('tone-strength').inputValue()).toBe('100');
    await expect.poll(() => page.getByTestId('faded-hint').count()).toBe(0);
    expect(app.calls.some((c) => c.method === 'setSettings' && JSON.stringify(c.args).includes('"toneStrength":1'))).toBe(true);
    expect(starts()).toBe(1);
    expect(app.problems).toEqual([]);
  }, 120_000);
});
