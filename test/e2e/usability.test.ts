// The app as people use it (issue 15), in Chromium over the real engine: every primary button on screen at 800x600,
// 1024x700, 1440x900 and 1920x1080 in Restore and Refine; plain words; a finished batch; the keyboard app-wide and
// the menu's commands; the comparison (hold for the original, side by side, click to move the line); light and dark
// themes; axe-core on every screen with no serious or critical violation; restoring again with other settings; and
// a result that always belongs to its photo (two scans named scan0001.png).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations } from './axe';
import { type AppUnderTest, launchApp, OLD_PHOTOS, paintStroke, tmpDir, visible } from './harness';

const PHOTO = path.join(OLD_PHOTOS, 'h.png'); // 372 x 524
const OTHER = path.join(OLD_PHOTOS, 'a.png'); // 298 x 450
const SIZES = [
  { width: 800, height: 600 },
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
];
let tmp: string;
let out: string;
let app: AppUnderTest;

beforeAll(async () => {
  tmp = tmpDir('e2e-usability');
  out = path.join(tmp, 'out');
  app = await launchApp({ userDataDir: path.join(tmp, 'user'), settings: { outDir: out, refineSteps: 10 } });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The element's box lies wholly inside the window, and nothing else covers its middle (it can be clicked). */
async function onScreen(testid: string): Promise<void> {
  const { page } = app;
  const el = page.getByTestId(testid);
  await visible(el);
  const box = (await el.boundingBox())!;
  const vp = page.viewportSize()!;
  const where = `${testid} at ${JSON.stringify(box)} in ${vp.width}x${vp.height}`;
  expect(box.x, where).toBeGreaterThanOrEqual(0);
  expect(box.y, where).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, where).toBeLessThanOrEqual(vp.width);
  expect(box.y + box.height, where).toBeLessThanOrEqual(vp.height);
  const hit = await page.evaluate(
    ({ x, y, id }) => {
      // (runs in the page; this file is type-checked without the DOM library)
      const doc = (globalThis as unknown as { document: { elementFromPoint(x: number, y: number): { closest(s: string): unknown } | null } }).document;
      return !!doc.elementFromPoint(x, y)?.closest(`[data-testid="${id}"]`);
    },
    { x: box.x + box.width / 2, y: box.y + box.height / 2, id: testid },
  );
  expect(hit, `${where} is covered`).toBe(true);
}

async function noAxeProblems(screen: string): Promise<void> {
  expect(await axeViolations(app.page), screen).toEqual([]);
}

const mode = (name: 'Restore' | 'Refine') =>
  app.page.getByRole('navigation', { name: 'Mode' }).getByRole('button', { name }).click();

const paint = () => paintStroke(app.page, -30, 0, 64);

describe('the app as people use it', () => {
  it('empty window: axe finds nothing serious, where it runs is said in plain words, no CUDA on a machine without NVIDIA', async () => {
    const { page } = app;
    await visible(page.getByTestId('empty-state'));
    // where it runs and which models there are arrive from the engine (getInfo) a moment after the window shows
    await expect.poll(() => page.locator('body').innerText(), { timeout: 20_000 }).toMatch(/Runs on the processor/);
    const options = () => page.getByTestId('restore-model').locator('option').allTextContents();
    await expect.poll(options, { timeout: 20_000 }).toEqual(['Clean', 'Natural texture']);
    await noAxeProblems('empty, dark');
    const text = (await page.locator('body').innerText()) ?? '';
    expect(text).not.toMatch(/CUDA|NVIDIA|onnxruntime/);
    // the models by what they do to the photo, no training words (above), and none of these
    expect(text).not.toMatch(/pixel loss|DiffLoss|seed/i);
  });

  it('restores a photo; says so when it is dropped again; the finished batch has its counts and the output folder', async () => {
    const { page } = app;
    await app.drop([PHOTO]);
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(1);
    await app.drop([PHOTO]);
    await expect.poll(() => page.getByTestId('notice').textContent()).toMatch(/h\.png is already in the list/);
    expect(await page.getByTestId('queue-item').count()).toBe(1);
    await page.getByTestId('restore').click();
    await expect.poll(() => page.getByTestId('queue-item').getAttribute('data-status'), { timeout: 45_000 }).toBe('done');
    await expect.poll(() => page.getByTestId('batch-notice').textContent()).toMatch(/Finished in .*: 1 photo restored\./);
    await visible(page.getByTestId('open-output'));
    expect(await page.getByTestId('batch-retry').count()).toBe(0);
    await visible(page.getByTestId('compare-after'));
    // what the result was made with
    expect(await page.getByTestId('made-with').textContent()).toMatch(/Made with Natural texture · strength \d+%( \(\d+% for this photo\))? · colour & fading/);
    expect(await page.getByTestId('out-of-date').count()).toBe(0);
    await noAxeProblems('restored, dark');
  });

  it('every primary button is on screen in Restore and Refine at 800x600, 1024x700, 1440x900 and 1920x1080; axe on each', async () => {
    const { page } = app;
    for (const vp of SIZES) {
      await page.setViewportSize(vp);
      await mode('Restore');
      await visible(page.getByTestId('compare-after'));
      for (const id of ['restore', 'restore-again', 'add-photos', 'add-folder', 'zoom-fit', 'side-by-side', 'hold-original']) {
        if (id.startsWith('add-') && vp.width <= 900) continue; // the narrow list has icon buttons instead
        await onScreen(id);
      }
      if (vp.width <= 900) {
        await visible(page.getByRole('button', { name: 'Add photos' }));
        await visible(page.getByRole('button', { name: 'Add folder' }));
      }
      // the photo keeps most of the window
      const stage = (await page.getByTestId('compare').boundingBox())!;
      expect(stage.width / vp.width, `photo width at ${vp.width}`).toBeGreaterThan(0.44);
      await app.screenshot(`restore-${vp.width}x${vp.height}.png`);
      await noAxeProblems(`Restore ${vp.width}x${vp.height}`);

      await mode('Refine');
      await visible(page.getByTestId('refine-photo'));
      for (const id of ['refine-run', 'tool-brush', 'undo', 'redo', 'clear-strokes', 'refine-compare', 'mask-only', 'zoom-fit']) {
        await onScreen(id);
      }
      await app.screenshot(`refine-${vp.width}x${vp.height}.png`);
      await noAxeProblems(`Refine ${vp.width}x${vp.height}`);
    }
    // a round at 800x600: Save this round and Back to painting on screen
    await page.setViewportSize(SIZES[0]);
    await paint();
    await page.getByTestId('refine-run').click();
    await expect.poll(() => page.getByTestId('round').count(), { timeout: 60_000 }).toBe(2);
    for (const id of ['refine-save', 'refine-compare', 'refine-run']) await onScreen(id);
    expect(await page.getByTestId('refine-compare').textContent()).toMatch(/Back to painting/);
    await app.screenshot('refine-round-800x600.png');
    await noAxeProblems('Refine round 800x600');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('keyboard: undo and redo in Refine whatever has focus, Escape, Space to see the original, ? for the list', async () => {
    const { page } = app;
    await page.getByTestId('refine-compare').click(); // back to painting
    await paint();
    const undo = page.getByTestId('undo');
    await expect.poll(() => undo.isEnabled()).toBe(true);
    await page.getByTestId('refine-strength').focus(); // a slider has the focus
    await page.keyboard.press('Control+z');
    await expect.poll(() => undo.isDisabled()).toBe(true);
    await page.getByTestId('refine-run').focus(); // a button has the focus
    await page.keyboard.press('Control+Shift+Z');
    await expect.poll(() => undo.isEnabled()).toBe(true);
    // a text field keeps its own undo
    await page.getByTestId('refine-seed').focus();
    await page.keyboard.press('Control+z');
    expect(await undo.isEnabled()).toBe(true);
    await page.getByTestId('clear-strokes').click();

    // ? lists the shortcuts (axe checks the dialog too), Escape closes it
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Shift+?');
    await visible(page.getByTestId('shortcuts'));
    const list = (await page.getByTestId('shortcuts').textContent()) ?? '';
    for (const what of ['Add photos', 'Add a folder of photos', 'Remove the photo from the list', 'See the original', 'Undo a stroke', 'Redo a stroke']) {
      expect(list).toContain(what);
    }
    await noAxeProblems('shortcuts');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('shortcuts').count()).toBe(0);
    // the ? in the title bar opens it too; Close closes it
    await page.getByTestId('show-shortcuts').click();
    await page.getByTestId('shortcuts').getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => page.getByTestId('shortcuts').count()).toBe(0);

    // the menu's commands arrive from main: View > Restore
    await app.command('mode-restore');
    await visible(page.getByTestId('compare-after'));
    const compare = page.getByTestId('compare');
    await expect.poll(() => compare.getAttribute('data-view')).toBe('split'); // once the original has loaded too
    // hold Space: the original; let go: the result again
    await page.keyboard.down(' ');
    await expect.poll(() => compare.getAttribute('data-view')).toBe('original');
    expect(await page.getByTestId('compare-after').count()).toBe(0);
    await page.keyboard.up(' ');
    await expect.poll(() => compare.getAttribute('data-view')).toBe('split');
  });

  it('keyboard: add photos and a folder, arrows in the list, Delete removes, Escape cancels a running restore', async () => {
    const { page } = app;
    await page.locator('body').click({ position: { x: 5, y: 5 } }); // the window has the keyboard (not a control)
    const chooser = page.waitForEvent('filechooser', { timeout: 10_000 });
    await page.keyboard.press('Control+o');
    expect((await chooser).isMultiple()).toBe(true);
    app.nextFolder = null; // the person closes the folder dialog
    const asked = app.calls.filter((c) => c.method === 'chooseFolder').length;
    await page.keyboard.press('Control+Shift+O');
    await expect.poll(() => app.calls.filter((c) => c.method === 'chooseFolder').length).toBe(asked + 1);

    await app.drop([OTHER]);
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(2);
    const selected = () => page.locator('[data-testid="queue-item"].selected').getAttribute('data-name');
    expect(await selected()).toBe('h.png');
    await page.keyboard.press('ArrowDown');
    await expect.poll(selected).toBe('a.png');
    await page.keyboard.press('ArrowUp');
    await expect.poll(selected).toBe('h.png');
    await page.keyboard.press('ArrowDown');

    // Escape cancels the restore that runs
    await page.keyboard.press('Control+Enter');
    await visible(page.getByTestId('cancel'));
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('batch-notice').textContent(), { timeout: 45_000 }).toMatch(/cancelled|1 photo restored/);
    // Delete removes the selected photo from the list
    await expect.poll(selected).toBe('a.png');
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(1);
  });

  it('compare: hold the Original button, side by side, click to move the dividing line', async () => {
    const { page } = app;
    await visible(page.getByTestId('compare-after'));
    const compare = page.getByTestId('compare');
    const b = (await compare.boundingBox())!;
    // (no assumption about where the line starts: a retry finds it where the first try left it)
    if ((await compare.getAttribute('data-view')) === 'side') await page.getByTestId('side-by-side').click();
    await expect.poll(() => compare.getAttribute('data-view')).toBe('split');
    await page.mouse.click(b.x + b.width * 0.75, b.y + b.height * 0.3);
    await expect.poll(() => compare.getAttribute('aria-valuenow')).toBe('75');
    await page.mouse.click(b.x + b.width * 0.25, b.y + b.height * 0.3);
    await expect.poll(() => compare.getAttribute('aria-valuenow')).toBe('25');

    const hold = page.getByTestId('hold-original');
    const hb = (await hold.boundingBox())!;
    await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
    await page.mouse.down();
    await expect.poll(() => compare.getAttribute('data-view')).toBe('original');
    await page.mouse.up();
    await expect.poll(() => compare.getAttribute('data-view')).toBe('split');

    await page.getByTestId('side-by-side').click();
    await expect.poll(() => compare.getAttribute('data-view')).toBe('side');
    const [before, after] = [page.getByTestId('compare-before'), page.getByTestId('compare-after')];
    // the panes are measured (ResizeObserver) and the photo refitted a frame or two after the switch: wait for it
    const layout = async () => {
      const bb = (await before.boundingBox())!;
      const ab = (await after.boundingBox())!;
      return {
        rightOfOriginal: ab.x > bb.x + bb.width - 1, // the result to the right of the original
        sameZoom: Math.abs(ab.width - bb.width) < 1, // at the same zoom
      };
    };
    await expect.poll(layout, { timeout: 5_000 }).toEqual({ rightOfOriginal: true, sameZoom: true });
    await app.screenshot('side-by-side.png');
    await noAxeProblems('side by side');
    await page.keyboard.press('s'); // S switches back
    await expect.poll(() => compare.getAttribute('data-view')).toBe('split');
  });

  it('themes: light, dark and the system’s; axe in the light theme too', async () => {
    const { page } = app;
    // (runs in the page)
    const bg = () =>
      page.evaluate(() => {
        const g = globalThis as unknown as { document: { body: unknown }; getComputedStyle(e: unknown): { backgroundColor: string } };
        return g.getComputedStyle(g.document.body).backgroundColor;
      });
    const dark = await bg();
    await page.getByText('Advanced').click();
    await page.getByTestId('theme').selectOption('light');
    await expect.poll(bg).not.toBe(dark);
    await expect.poll(async () => (await app.engine.getSettings()).theme).toBe('light');
    await app.screenshot('light.png');
    await noAxeProblems('Restore, light');
    await mode('Refine');
    await noAxeProblems('Refine, light');
    await mode('Restore');
    // the sections keep their folding while the panel comes and goes with the mode: Advanced is still open
    await visible(page.getByTestId('theme'));
    // 'system' follows the system's choice
    await page.getByTestId('theme').selectOption('system');
    await expect.poll(bg).toBe(dark); // the test browser is dark
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(bg).not.toBe(dark);
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(bg).toBe(dark);
  });

  it('restore again with other settings: out of date, asked once (replace or keep both), remembered', async () => {
    const { page } = app;
    await visible(page.getByTestId('compare-after'));
    expect(await page.getByTestId('restore').isDisabled()).toBe(true); // nothing to do
    await page.getByTestId('strength').fill('50');
    await page.getByTestId('strength').dispatchEvent('change');
    await visible(page.getByTestId('out-of-date'));
    await expect.poll(() => page.getByTestId('restore').textContent()).toMatch(/Restore 1 photo again/);
    expect(await page.getByTestId('restore').isEnabled()).toBe(true);

    const starts = () => app.calls.filter((c) => c.method === 'startRestore').length;
    const jobsDone = () => app.trace.filter((l) => /delivered job done/.test(l)).length;
    const done0 = jobsDone();
    const before = starts();
    await page.getByTestId('restore').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toMatch(/Replace the earlier result, or keep both\?/);
    expect(starts()).toBe(before); // nothing started before the answer
    await noAxeProblems('asking replace or keep both');
    await page.getByTestId('again-keep-both').click();
    await expect.poll(starts).toBe(before + 1);
    await expect.poll(async () => (await app.engine.getSettings()).restoreAgain).toBe('keep-both');
    const req = app.calls.filter((c) => c.method === 'startRestore').at(-1)!.args[0] as { inputs: string[]; settings: { strength: number; existing?: string } };
    expect(req.inputs).toEqual([PHOTO]);
    expect(req.settings).toMatchObject({ strength: 0.5, existing: 'keep-both' });
    await expect.poll(jobsDone, { timeout: 45_000 }).toBe(done0 + 1);
    await expect.poll(() => page.getByTestId('queue-item').first().getAttribute('data-status')).toMatch(/done|skipped/);
    // asked once: the next one goes straight ahead, with the answer remembered
    await page.getByTestId('restore-again').click();
    await expect.poll(starts).toBe(before + 2);
    const again = app.calls.filter((c) => c.method === 'startRestore').at(-1)!.args[0] as { settings: { existing?: string } };
    expect(again.settings.existing).toBe('keep-both');
    expect(await page.getByTestId('restore-again-setting').inputValue()).toBe('keep-both');
    await expect.poll(jobsDone, { timeout: 45_000 }).toBe(done0 + 2);
  });

  it('a result always belongs to its photo: two scans named scan0001.png into one output folder', async () => {
    const { page } = app;
    const shoebox = path.join(tmp, 'shoebox');
    for (const [year, src] of [['1987', PHOTO], ['1992', OTHER]] as const) {
      fs.mkdirSync(path.join(shoebox, `scans-${year}`), { recursive: true });
      fs.copyFileSync(src, path.join(shoebox, `scans-${year}`, 'scan0001.png'));
    }
    const scanOut = path.join(tmp, 'scan-out');
    await app.engine.setSettings({ outDir: scanOut, restoreAgain: 'ask' });
    await page.reload();
    await page.getByTestId('status').waitFor();
    const row = page.getByTestId('queue-item');
    const first = path.join(shoebox, 'scans-1987', 'scan0001.png');
    const second = path.join(shoebox, 'scans-1992', 'scan0001.png');
    await app.drop([first]);
    await page.getByTestId('restore').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 45_000 }).toBe('done');
    await page.locator('.queue .clear').click();
    await app.drop([second]);
    await page.getByTestId('restore').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 45_000 }).not.toMatch(/queued|working|waiting/);
    // never the 1987 boy as the 1992 photo's After: either no After (and why, in words), or its own result
    const after = page.getByTestId('compare-after');
    // a result is shown once its file has loaded: a 'done' row waits for its After
    if ((await row.getAttribute('data-status')) === 'done') await visible(after);
    if ((await after.count()) > 0) {
      const natural = await after.evaluate((img) => [(img as unknown as { naturalWidth: number }).naturalWidth, (img as unknown as { naturalHeight: number }).naturalHeight]);
      const own = await sharp(second).metadata();
      expect(natural).toEqual([own.width, own.height]);
    } else {
      expect(await row.getAttribute('data-status')).toBe('error');
      expect(await row.getByTestId('queue-line').textContent()).toMatch(/restored from another photo .*scans-1987/);
      // not "Try again" into the same clash: restoring again (keep both) is what gives it its own result
      await expect.poll(() => page.getByTestId('restore').textContent()).toMatch(/Restore 1 photo again/);
    }
    expect(await row.getAttribute('data-status')).not.toBe('skipped');
    expect(app.problems).toEqual([]);
  });

  it('a text file named .jpg: its failure says so, and no "Try again" is offered for it', async () => {
    const { page } = app;
    await page.locator('.queue .clear').click();
    const fake = path.join(tmp, 'holiday.jpg');
    fs.writeFileSync(fake, 'these are my notes, not a photo\n');
    await app.drop([fake]);
    const row = page.getByTestId('queue-item');
    await expect.poll(() => row.count()).toBe(1);
    await page.getByTestId('restore').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 45_000 }).toBe('error');
    expect(await row.getAttribute('data-error-kind')).toBe('file');
    expect(await row.getByTestId('queue-line').textContent()).toMatch(/Trying again will not help/);
    await expect.poll(() => page.getByTestId('batch-notice').textContent()).toMatch(/1 failed/);
    expect(await page.getByTestId('batch-retry').count()).toBe(0);
    expect(await page.getByTestId('open-output').count()).toBe(0); // nothing was written
    expect(await page.getByTestId('restore').isDisabled()).toBe(true);
    await noAxeProblems('a failed photo');
  });

  it('a result is matched to its photo by path, not by its place in the job (engine events in the wrong order)', async () => {
    const { page } = app;
    await page.locator('.queue .clear').click();
    await app.drop([PHOTO, OTHER]);
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(2);
    // a job whose file 0 is h.png answers for index 0 with a.png's result: it goes to a.png, h.png keeps waiting
    const emit = (e: unknown) =>
      page.evaluate((ev) => (globalThis as unknown as { __reviveEmit(c: string, e: unknown): void }).__reviveEmit('job', ev), e);
    const jobId = 'order-check';
    await emit({ type: 'start', jobId, files: [{ input: PHOTO, output: '/nowhere/h.png' }, { input: OTHER, output: OTHER }] });
    await emit({ type: 'file-done', jobId, index: 0, result: { input: OTHER, output: OTHER, status: 'ok', ms: 5 } });
    const status = (name: string) => page.locator(`[data-testid="queue-item"][data-name="${name}"]`).getAttribute('data-status');
    await expect.poll(() => status('a.png')).toBe('done');
    expect(await status('h.png')).toBe('queued');
    await emit({ type: 'done', jobId, summary: { total: 2, ok: 1, failed: 0, skipped: 0, cancelled: 1, ms: 5 } });
    await expect.poll(() => page.getByTestId('batch-notice').count()).toBe(1);
  });

  it('a result replaced under the same name is shown anew (restore again, replace)', async () => {
    const { page } = app;
    const emit = (e: unknown) =>
      page.evaluate((ev) => (globalThis as unknown as { __reviveEmit(c: string, e: unknown): void }).__reviveEmit('job', ev), e);
    // in the output folder (the page may read there: src/main/grants.ts; these events do not come from the engine)
    const output = path.join(tmp, 'scan-out', 'replaced', 'a.png');
    fs.mkdirSync(path.dirname(output), { recursive: true });
    const natural = () =>
      page.getByTestId('compare-after').evaluate((img) => {
        const i = img as unknown as { naturalWidth: number; naturalHeight: number };
        return [i.naturalWidth, i.naturalHeight];
      });
    const summary = { total: 1, ok: 1, failed: 0, skipped: 0, cancelled: 0, ms: 5 };
    await page.locator('[data-testid="queue-item"][data-name="a.png"]').getByRole('button').first().click();
    for (const [n, src] of [[1, OTHER], [2, PHOTO]] as const) {
      fs.copyFileSync(src, output); // the engine replaced the earlier result (same name)
      const jobId = `replace-${n}`;
      // these events go straight to the page, past main: grant the output as main does for the engine's own events
      app.grants.grantCreated(output);
      await emit({ type: 'start', jobId, files: [{ input: OTHER, output }] });
      await emit({ type: 'file-done', jobId, index: 0, result: { input: OTHER, output, status: 'ok', ms: 5 } });
      await emit({ type: 'done', jobId, summary });
      const meta = await sharp(src).metadata();
      await expect.poll(natural).toEqual([meta.width, meta.height]);
    }
  });
});
