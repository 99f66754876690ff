// A person chooses the restore model in Settings: the Model list shows the installed restore models by name with the
// manifest's default selected; picking the other one ("Clean") is saved, the restore asks the engine for that model, and
// the photo comes out different from the default model's result. A settings file naming a model that no longer exists
// (restore-naf32-v1) falls back to the default without a word, and restoring still works.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EngineService } from '../../src/core/service';
import type { RestoreSettings } from '../../src/shared/types';
import { type AppUnderTest, launchApp, MODELS, OLD_PHOTOS, tmpDir } from './harness';

const PHOTO = path.join(OLD_PHOTOS, 'a.png'); // a real scanned old photo, read in place
const CLEAN = 'restore-naf32-v2';
const NATURAL = 'restore-naf32-natural-v3';
const DEFAULT = NATURAL; // the manifest's default_restore
const OTHER = CLEAN;
const shipped = path.resolve(MODELS) === path.resolve(__dirname, '../../models');

let tmp: string;
let reference: string; // the default model's result for PHOTO, made by the engine directly
let app: AppUnderTest | null = null;

async function pixels(file: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Mean and largest absolute difference of two same-size images, in 8-bit levels. */
async function difference(a: string, b: string): Promise<{ mean: number; max: number }> {
  const [x, y] = await Promise.all([pixels(a), pixels(b)]);
  expect([x.width, x.height]).toEqual([y.width, y.height]);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < x.data.length; i++) {
    const d = Math.abs(x.data[i] - y.data[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / x.data.length, max };
}

/** Drops the photo, presses Restore and waits until it is done; returns the settings the page sent. */
async function restoreInApp(a: AppUnderTest): Promise<RestoreSettings> {
  const { page } = a;
  await a.drop([PHOTO]);
  const row = page.getByTestId('queue-item');
  await expect.poll(() => row.count()).toBe(1);
  await page.getByTestId('restore').click();
  await expect.poll(() => row.getAttribute('data-status'), { timeout: 45_000 }).toBe('done');
  const starts = a.calls.filter((c) => c.method === 'startRestore');
  expect(starts).toHaveLength(1);
  return (starts[0].args[0] as { settings: RestoreSettings }).settings;
}

beforeAll(async () => {
  tmp = tmpDir('e2e-model');
  if (!shipped) return; // REVIVE_E2E_MODELS=test/fixtures/models: these tests are about the shipped models
  // the default model's result, from the engine itself (same photo, same settings the app sends by default)
  const engine = new EngineService({ modelsDir: MODELS, userDataDir: path.join(tmp, 'ref-user') });
  try {
    const outDir = path.join(tmp, 'reference');
    const { jobId } = await engine.startRestore({
      inputs: [PHOTO],
      outDir,
      settings: { modelId: DEFAULT, device: 'auto', strength: 1, format: 'same', quality: 92 },
    });
    await engine.waitForJob(jobId);
    reference = path.join(outDir, 'a.png');
    expect(fs.existsSync(reference)).toBe(true);
  } finally {
    await engine.dispose();
  }
});

afterEach(async () => {
  await app?.close();
  app = null;
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.runIf(shipped)('choosing the restore model', () => {
  it('lists both shipped restore models by name, the default selected; the other one restores differently', async () => {
    const out = path.join(tmp, 'other');
    app = await launchApp({ userDataDir: path.join(tmp, 'user1'), settings: { outDir: out } });
    const { page } = app;
    const select = page.getByTestId('restore-model');

    // the installed restore models by their manifest names (not the diffusion prior), the default selected
    await expect.poll(() => select.locator('option').count()).toBe(2);
    const options = await select.locator('option').evaluateAll((els) =>
      els.map((e) => ({ value: e.getAttribute('value'), text: e.textContent })),
    );
    const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, 'manifest.json'), 'utf8')) as {
      models: { id: string; name: string }[];
    };
    const nameOf = (id: string) => manifest.models.find((m) => m.id === id)?.name;
    expect(options).toEqual([
      { value: CLEAN, text: nameOf(CLEAN) },
      { value: NATURAL, text: nameOf(NATURAL) },
    ]);
    expect(await select.inputValue()).toBe(DEFAULT);
    expect(await select.isEnabled()).toBe(true);

    // choosing is saved in the settings
    await select.selectOption(OTHER);
    await expect.poll(async () => (await app!.engine.getSettings()).restoreModel).toBe(OTHER);
    expect(await select.inputValue()).toBe(OTHER);
    await app.screenshot('app-restore-model.png');

    // the restore asks the engine for the chosen model (through the validated contract) ...
    const sent = await restoreInApp(app);
    expect(sent.modelId).toBe(OTHER);

    // ... and the result is that model's: the same photo, the same size, not the default model's pixels
    const output = path.join(out, 'a.png');
    expect(fs.existsSync(output)).toBe(true);
    const d = await difference(output, reference);
    expect(d.mean).toBeGreaterThan(0.5);
    expect(d.max).toBeGreaterThan(8);
    expect(app.problems).toEqual([]);
  });

  it('a stored choice of a model that no longer exists falls back to the default, silently', async () => {
    const out = path.join(tmp, 'fallback');
    app = await launchApp({
      userDataDir: path.join(tmp, 'user2'),
      settings: { outDir: out, restoreModel: 'restore-naf32-v1' }, // what an older version could have saved
    });
    const { page } = app;
    const select = page.getByTestId('restore-model');
    await expect.poll(() => select.locator('option').count()).toBe(2);
    expect(await select.inputValue()).toBe(DEFAULT);

    const sent = await restoreInApp(app);
    expect(sent.modelId).toBe(DEFAULT);
    const d = await difference(path.join(out, 'a.png'), reference);
    expect(d.max).toBeLessThanOrEqual(1); // the default model's result
    expect(app.problems).toEqual([]);
    expect(await page.getByTestId('notice').count()).toBe(0);
  });
});
