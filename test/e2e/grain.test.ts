// Noise & grain: the person ticks "Keep film grain"; the setting is saved, the restore job asks the local stage for it,
// and the engine measures the grain it removed from the real old photo and adds it back (the result says what it
// measured). "Adapt to each photo" is on by default: the engine reports how much of the network's change it judged the
// photo needs; unticked, the setting is saved, the next job asks for the strength as given and the words under the
// photo say so.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src/shared/types';
import { type AppUnderTest, launchApp, OLD_PHOTOS, tmpDir, visible } from './harness';

const PHOTO = path.join(OLD_PHOTOS, 'h.png'); // bearded-man, 372 x 524, a grainy autochrome (colour) print
let tmp: string;
let app: AppUnderTest;
const done: Extract<JobEvent, { type: 'file-done' }>[] = [];

beforeAll(async () => {
  tmp = tmpDir('e2e-grain');
  app = await launchApp({ userDataDir: path.join(tmp, 'user'), settings: { outDir: path.join(tmp, 'restored'), restoreAgain: 'replace' } });
  app.engine.on((m) => {
    const e = m.event as JobEvent;
    if (m.channel === 'job' && e.type === 'file-done') done.push(e);
  });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('noise & grain', () => {
  it('"Keep film grain" is saved, sent with the job, and the engine adds back the grain it measured', async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('out-dir').textContent()).toMatch(/restored$/); // settings loaded
    const box = page.getByTestId('keep-grain');
    await visible(box);
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await expect.poll(() => app.calls.some((c) => c.method === 'setSettings' && JSON.stringify(c.args).includes('"keepGrain":true'))).toBe(true);

    await app.drop([PHOTO]);
    await page.getByTestId('restore').click();
    const row = page.getByTestId('queue-item');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    const start = app.calls.find((c) => c.method === 'startRestore');
    expect(start?.args[0]).toMatchObject({ settings: { stages: { local: { keepGrain: true } } } });
    await expect.poll(() => done.length).toBe(1);
    const result = done[0].result as { info?: { local?: { grain?: { sigma: number[]; chroma: number; size: number } } } };
    const grain = result.info?.local?.grain;
    expect(grain?.sigma).toHaveLength(8);
    expect(Math.max(...(grain?.sigma ?? [0]))).toBeGreaterThan(0.002); // the network did remove grain from this scan
    expect(grain?.chroma).toBeGreaterThan(0); // an autochrome's grain is coloured (dyed starch grains)
    // adapted by default: the amount judged for this photo comes with the result
    const amount = (result.info?.local as { amount?: unknown } | undefined)?.amount;
    expect(typeof amount).toBe('number');
    expect(amount).toBeGreaterThanOrEqual(0);
    expect(amount).toBeLessThanOrEqual(1);
    expect(app.refused).toEqual([]); // main's contract accepted every request (the setting is saved, not only shown)
    expect(app.problems).toEqual([]);
  }, 240_000);

  it('"Adapt to each photo" unticked: saved, the next restore uses the strength as given, and says so', async () => {
    const { page } = app;
    const box = page.getByTestId('adapt-noise');
    expect(await box.isChecked()).toBe(true);
    await expect.poll(() => page.getByTestId('made-with').textContent()).toMatch(/Made with/);
    expect(await page.getByTestId('made-with').textContent()).not.toMatch(/fixed/);
    await box.uncheck();
    await expect.poll(() => app.calls.some((c) => c.method === 'setSettings' && JSON.stringify(c.args).includes('"adaptNoise":false'))).toBe(true);
    const starts = app.calls.filter((c) => c.method === 'startRestore').length;
    await page.getByTestId('restore').click();
    await expect.poll(() => app.calls.filter((c) => c.method === 'startRestore').length).toBe(starts + 1);
    const start = app.calls.filter((c) => c.method === 'startRestore').at(-1);
    expect(start?.args[0]).toMatchObject({ settings: { stages: { local: { adapt: false, keepGrain: true } } } });
    await expect.poll(() => done.length, { timeout: 120_000 }).toBe(2);
    expect((done[1].result.info?.local as { amount?: unknown } | undefined)?.amount).toBeUndefined();
    await expect.poll(() => page.getByTestId('made-with').textContent()).toMatch(/strength 100% \(fixed\)/);
    expect(app.refused).toEqual([]);
    expect(app.problems).toEqual([]);
  }, 240_000);
});
