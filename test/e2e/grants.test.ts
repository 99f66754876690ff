// What the page may touch, end to end: the page's own window.revive asks for paths nobody gave it and is refused by
// main's dispatcher (the same code main runs: src/main/dispatch.ts + grants.ts), while the same photo works once it
// is dropped, and the output folder works once chosen. Runs on whatever models the harness loads.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppUnderTest, launchApp, OLD_PHOTOS, tmpDir } from './harness';

let tmp: string;
let app: AppUnderTest;
let photo: string;

beforeAll(async () => {
  tmp = tmpDir('e2e-grants');
  photo = path.join(tmp, 'private', 'b.png');
  fs.mkdirSync(path.dirname(photo));
  fs.copyFileSync(path.join(OLD_PHOTOS, 'b.png'), photo);
  app = await launchApp({ userDataDir: path.join(tmp, 'user') });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Calls window.revive in the page; the error message when it rejects. */
function ask(method: string, ...args: unknown[]): Promise<{ ok: boolean; value?: unknown; error?: string }> {
  return app.page.evaluate(
    async ({ method, args }) => {
      const api = (globalThis as unknown as { revive: Record<string, (...a: unknown[]) => Promise<unknown>> }).revive;
      try {
        const value = await api[method](...args);
        return { ok: true, value: value === undefined ? null : typeof value };
      } catch (e) {
        return { ok: false, error: e instanceof Error ? e.message : String(e) };
      }
    },
    { method, args },
  );
}

describe('the page touches only what the person gave it', () => {
  it('refuses to read, list, write or replace what was not given; allows it once dropped or chosen', async () => {
    const dir = path.dirname(photo);
    const settings = { device: 'cpu', strength: 1, format: 'png', quality: 90 };
    expect((await ask('loadPreview', photo, 64)).error).toMatch(/^Refused loadPreview: Revive was not given/);
    expect((await ask('expandInputs', [dir])).error).toMatch(/^Refused expandInputs/);
    expect((await ask('setSettings', { outDir: dir })).error).toMatch(/^Refused setSettings: Revive may not write into/);
    expect((await ask('saveRound', 'r1', photo)).error).toMatch(/^Refused saveRound/);
    expect((await ask('loadPreview', '\\\\server\\share\\a.png', 64)).error).toMatch(/Invalid request|absolute path/);

    await app.drop([dir]);
    expect((await ask('loadPreview', photo, 64)).ok).toBe(true);
    expect((await ask('expandInputs', [dir])).ok).toBe(true);
    // dropped means readable, not writable
    const req = { inputs: [photo], outDir: path.join(tmp, 'out'), settings };
    expect((await ask('startRestore', req)).error).toMatch(/may not write into/);
    expect((await ask('saveRound', 'r1', photo)).error).toMatch(/^Refused saveRound/);
    expect(fs.existsSync(path.join(tmp, 'out'))).toBe(false);

    // the folder dialog grants the folder the person chose
    fs.mkdirSync(path.join(tmp, 'out'));
    app.nextFolder = path.join(tmp, 'out');
    expect((await ask('chooseFolder')).ok).toBe(true);
    expect((await ask('setSettings', { outDir: path.join(tmp, 'out') })).ok).toBe(true);
  });
});
