// Main's IPC glue with electron mocked: one handler per channel; messages from anything but the app's own top frame
// are refused; invalid payloads are rejected with a clear error before the engine sees them; valid ones are
// forwarded (as clean copies); engine events are relayed to the page on the EV channels.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => {
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
  const listeners = new Map<string, (event: { senderFrame: unknown; returnValue?: unknown }, ...args: unknown[]) => void>();
  return {
    handlers,
    listeners,
    ipcMain: {
      on: vi.fn((ch: string, fn: (event: { senderFrame: unknown; returnValue?: unknown }, ...args: unknown[]) => void) => {
        listeners.set(ch, fn);
      }),
      removeListener: vi.fn((ch: string) => listeners.delete(ch)),
      handle: vi.fn((ch: string, fn: (event: unknown, ...args: unknown[]) => Promise<unknown>) => {
        if (handlers.has(ch)) throw new Error(`second handler for ${ch}`);
        handlers.set(ch, fn);
      }),
      removeHandler: vi.fn((ch: string) => handlers.delete(ch)),
    },
  };
});
vi.mock('electron', () => ({ ipcMain: electron.ipcMain, default: { ipcMain: electron.ipcMain } }));

import { CH, EV } from '../../src/shared/api';
import { createDispatcher, type EngineApi } from '../../src/main/dispatch';
import { PathGrants } from '../../src/main/grants';
import { GRANT_DROPPED } from '../../src/shared/ipc';
import { registerIpc, relayEvent, UNTRUSTED_SENDER } from '../../src/main/ipc';
import { APP_ENTRY } from '../../src/main/security';

const APP = APP_ENTRY;
const fromApp = { senderFrame: { url: APP, parent: null } };

function fakeEngine() {
  const ok = <T>(v: T) => vi.fn(async (..._args: unknown[]) => v);
  return {
    getInfo: ok({ version: '1.0.0', models: [], defaultRestore: '', providers: ['cpu'], lastProvider: null }),
    getSettings: ok({}),
    setSettings: ok({}),
    expandInputs: ok(['/p/a.png']),
    loadPreview: ok({ bytes: new Uint8Array([1]), mime: 'image/png', width: 1, height: 1, fullWidth: 1, fullHeight: 1 }),
    startRestore: ok({ jobId: 'job-1' }),
    cancelJob: ok(undefined),
    startRefine: ok({ jobId: 'ref-1' }),
    getRefineResult: ok({ roundId: 'r1', preview: null }),
    saveRound: ok('/out/x.png'),
    cancelRefine: ok(undefined),
    colorize: ok({ roundId: 'r2', preview: null }),
    refillScratches: ok({ jobId: 'job-2' }),
    loadScratchMask: ok({ bytes: new Uint8Array([1]), mime: 'image/png', width: 1, height: 1, fullWidth: 1, fullHeight: 1 }),
  } satisfies Record<keyof EngineApi, unknown>;
}

let engine: ReturnType<typeof fakeEngine>;
let chooseFolder: ReturnType<typeof vi.fn>;
let showInFolder: ReturnType<typeof vi.fn>;
let setUnsavedWork: ReturnType<typeof vi.fn>;
let unregister: () => void;
let grants: PathGrants;
/** Files that exist, for the grants (no real disk in these tests). */
let existing: Set<string>;

const call = (ch: string, ...args: unknown[]) => electron.handlers.get(ch)!(fromApp, ...args);

beforeEach(() => {
  unregister?.();
  electron.handlers.clear();
  engine = fakeEngine();
  chooseFolder = vi.fn(async () => '/chosen');
  showInFolder = vi.fn(async () => undefined);
  setUnsavedWork = vi.fn();
  existing = new Set(['/p', '/p/a.png', '/p/x.png']);
  grants = new PathGrants('linux', (p) => existing.has(p));
  // what the person gave the page: /p dropped, /p/out and /out chosen in the folder dialog
  grants.grantRead('/p');
  grants.grantFolder('/p/out');
  grants.grantFolder('/out');
  const dispatch = createDispatcher({
    engine: engine as unknown as EngineApi,
    grants,
    chooseFolder: chooseFolder as () => Promise<string | null>,
    showInFolder: showInFolder as (p: string) => Promise<void>,
    setUnsavedWork: setUnsavedWork as (s: string | null) => void,
    platform: 'linux',
  });
  unregister = registerIpc(dispatch, () => APP, grants);
});

describe('registerIpc', () => {
  it('handles every channel of the contract, and only those; unregistering removes them', () => {
    expect([...electron.handlers.keys()].sort()).toEqual(Object.values(CH).sort());
    expect([...electron.listeners.keys()]).toEqual([GRANT_DROPPED]);
    unregister();
    expect(electron.handlers.size).toBe(0);
    expect(electron.listeners.size).toBe(0);
    expect(electron.ipcMain.removeHandler).toHaveBeenCalledTimes(Object.keys(CH).length);
    unregister = () => undefined;
  });

  it('forwards valid requests to the engine with the validated arguments and returns its answer', async () => {
    const req = {
      inputs: ['/p/a.png'],
      outDir: '/p/out',
      settings: { device: 'cpu', strength: 0.8, format: 'png', quality: 90 },
    };
    await expect(call(CH.startRestore, req)).resolves.toEqual({ jobId: 'job-1' });
    expect(engine.startRestore).toHaveBeenCalledWith(req);
    expect(engine.startRestore.mock.calls[0][0]).not.toBe(req); // a clean copy, not the sender's object

    await expect(call(CH.expandInputs, ['/p'])).resolves.toEqual(['/p/a.png']);
    expect(engine.expandInputs).toHaveBeenCalledWith(['/p']);
    await call(CH.loadPreview, '/p/a.png', 256);
    expect(engine.loadPreview).toHaveBeenCalledWith('/p/a.png', 256);
    await call(CH.cancelJob, 'job-1');
    expect(engine.cancelJob).toHaveBeenCalledWith('job-1');
    await call(CH.setSettings, { quality: 70 });
    expect(engine.setSettings).toHaveBeenCalledWith({ quality: 70 });
    await call(CH.getInfo);
    expect(engine.getInfo).toHaveBeenCalledWith();
    await call(CH.saveRound, 'r1', '/out/x.png');
    expect(engine.saveRound).toHaveBeenCalledWith('r1', '/out/x.png');
    const strokes = new Uint8Array([1, 2, 3]);
    await call(CH.startRefine, {
      source: { roundId: 'r1' },
      strokes,
      settings: { strength: 0.5, steps: 10, repeats: 1, seed: 1, eta: 0, device: 'auto' },
    });
    expect(engine.startRefine.mock.calls[0][0]).toMatchObject({ source: { roundId: 'r1' }, strokes });
  });

  it("answers chooseFolder and showInFolder from main's own dialogs, not the engine", async () => {
    await expect(call(CH.chooseFolder)).resolves.toBe('/chosen');
    await call(CH.showInFolder, '/out/x.png');
    expect(showInFolder).toHaveBeenCalledWith('/out/x.png');
    await expect(call(CH.showInFolder, 'x.png')).rejects.toThrow(/absolute path/);
    expect(showInFolder).toHaveBeenCalledTimes(1);
  });

  it('keeps what leaving would lose in main (setUnsavedWork), validated, never asking the engine', async () => {
    await expect(call(CH.setUnsavedWork, 'Refine work would be lost: a.png (1 refine round not saved).')).resolves.toBeUndefined();
    await call(CH.setUnsavedWork, null);
    expect(setUnsavedWork.mock.calls).toEqual([['Refine work would be lost: a.png (1 refine round not saved).'], [null]]);
    await expect(call(CH.setUnsavedWork, { summary: 'x' })).rejects.toThrow(/summary must be a string/);
    await expect(call(CH.setUnsavedWork)).rejects.toThrow(/the arguments must be 1 value/);
    expect(setUnsavedWork).toHaveBeenCalledTimes(2);
    for (const fn of Object.values(engine)) expect(fn).not.toHaveBeenCalled();
  });

  it('rejects invalid payloads with a clear error and never calls the engine', async () => {
    const cases: [string, unknown[], RegExp][] = [
      [CH.startRestore, [{ inputs: ['a.png'], outDir: '/o', settings: {} }], /req.inputs\[0\] must be an absolute path/],
      [CH.startRestore, [{ inputs: ['/a.png'], outDir: '/o', settings: { device: 'cpu', strength: 9, format: 'png', quality: 1 } }], /strength must be a number from 0 to 1/],
      [CH.startRestore, [], /the arguments must be 1 value/],
      [CH.loadPreview, ['/a.png', 1e9], /maxSize must be a whole number/],
      [CH.loadPreview, ['/a.png', '256'], /maxSize/],
      [CH.expandInputs, ['/not-a-list'], /paths must be a list/],
      [CH.cancelJob, [{ jobId: 'x' }], /jobId must be a string/],
      [CH.setSettings, [{ device: 'quantum' }], /patch.device must be one of/],
      [CH.setSettings, [{ quality: 50, evil: 1 }], /patch.evil must be absent/],
      [CH.startRefine, [{ source: { path: '/a.png' }, strokes: 'png', settings: {} }], /req.strokes must be bytes/],
      [CH.saveRound, ['r1', 'relative.png'], /outPath must be an absolute path/],
      [CH.getInfo, ['surprise'], /must be 0 values/],
    ];
    for (const [ch, args, re] of cases) {
      await expect(call(ch, ...args), ch).rejects.toThrow(re);
      await expect(call(ch, ...args)).rejects.toThrow(/^Invalid request to \w+: /);
    }
    for (const fn of Object.values(engine)) expect(fn).not.toHaveBeenCalled();
  });

  it('refuses messages that do not come from the top frame of the app page', async () => {
    const h = electron.handlers.get(CH.getInfo)!;
    const senders = [
      { senderFrame: null },
      { senderFrame: { url: 'https://evil.example/index.html', parent: null } },
      { senderFrame: { url: 'file:///tmp/index.html', parent: null } },
      { senderFrame: { url: 'app://revive/other.html', parent: null } },
      { senderFrame: { url: APP, parent: { url: APP } } }, // a subframe
    ];
    for (const s of senders) await expect(h(s)).rejects.toThrow(UNTRUSTED_SENDER);
    expect(engine.getInfo).not.toHaveBeenCalled();
    await expect(h({ senderFrame: { url: `${APP}#/x`, parent: null } })).resolves.toBeTruthy();
  });

  it('passes the engine’s own errors through as they are', async () => {
    engine.expandInputs.mockRejectedValueOnce(new Error('"/p/x.png" does not exist (it may have been moved or deleted).'));
    await expect(call(CH.expandInputs, ['/p/x.png'])).rejects.toThrow(/does not exist/);
  });
});

describe('what the page may touch (grants)', () => {
  const dropped = (p: unknown, senderFrame: unknown = { url: APP, parent: null }) => {
    const event: { senderFrame: unknown; returnValue?: unknown } = { senderFrame };
    electron.listeners.get(GRANT_DROPPED)!(event, p);
    return event.returnValue;
  };

  it("a dropped file is granted only through the preload's own channel, from the app's window, when it exists", async () => {
    existing.add('/elsewhere/b.png');
    await expect(call(CH.loadPreview, '/elsewhere/b.png', 64)).rejects.toThrow(/Refused loadPreview: Revive was not given/);
    expect(dropped('/elsewhere/b.png', { url: 'https://evil.example/', parent: null })).toBe(false);
    expect(dropped('/elsewhere/missing.png')).toBe(false);
    expect(dropped('relative.png')).toBe(false);
    expect(dropped({ path: '/elsewhere/b.png' })).toBe(false);
    await expect(call(CH.loadPreview, '/elsewhere/b.png', 64)).rejects.toThrow(/not given/);
    expect(dropped('/elsewhere/b.png')).toBe(true);
    await expect(call(CH.loadPreview, '/elsewhere/b.png', 64)).resolves.toBeTruthy();
    // its sibling was not dropped
    existing.add('/elsewhere/c.png');
    await expect(call(CH.loadPreview, '/elsewhere/c.png', 64)).rejects.toThrow(/not given/);
    expect(engine.loadPreview).toHaveBeenCalledTimes(1);
  });

  it('refuses to read, list, write or reveal what the page was not given, before the engine sees it', async () => {
    const settings = { device: 'cpu', strength: 1, format: 'png', quality: 90 };
    const cases: [string, unknown[], RegExp][] = [
      [CH.loadPreview, ['/etc/shadow.png', 64], /Refused loadPreview: Revive was not given "\/etc\/shadow.png"/],
      [CH.loadPreview, ['/p/../etc/a.png', 64], /not given/], // no way out of a granted folder by ".."
      [CH.expandInputs, [['/p', '/home/someone']], /Refused expandInputs: .*"\/home\/someone"/],
      [CH.startRestore, [{ inputs: ['/home/x.png'], outDir: '/out', settings }], /Refused startRestore: Revive was not given/],
      [CH.startRestore, [{ inputs: ['/p/a.png'], outDir: '/home/someone/.config', settings }], /may not write into/],
      [CH.startRestore, [{ inputs: ['/p/a.png'], outDir: '/p', settings }], /may not write into "\/p"/], // dropped: read only
      [CH.setSettings, [{ outDir: '/etc' }], /Refused setSettings: Revive may not write into "\/etc"/],
      [CH.startRefine, [{ source: { path: '/secret.png' }, strokes: new Uint8Array([1]), settings: { strength: 0.5, steps: 1, repeats: 1, seed: 1, eta: 0, device: 'cpu' } }], /Refused startRefine/],
      [CH.colorize, [{ source: { path: '/secret.png' }, strokes: new Uint8Array([1]) }], /Refused colorize/],
      [CH.saveRound, ['r1', '/home/someone/x.png'], /Refused saveRound: Revive may not write into/],
      [CH.showInFolder, ['/home/someone/x.png'], /Refused showInFolder/],
    ];
    for (const [ch, args, re] of cases) await expect(call(ch, ...args), ch).rejects.toThrow(re);
    for (const fn of Object.values(engine)) expect(fn).not.toHaveBeenCalled();
    expect(showInFolder).not.toHaveBeenCalled();
  });

  it('saveRound never replaces a file the app did not make; it may replace one it made', async () => {
    existing.add('/out/old.png');
    await expect(call(CH.saveRound, 'r1', '/out/old.png')).rejects.toThrow(/already there and Revive did not make it/);
    expect(engine.saveRound).not.toHaveBeenCalled();
    engine.saveRound.mockResolvedValueOnce('/out/new.png');
    await expect(call(CH.saveRound, 'r1', '/out/new.png')).resolves.toBe('/out/new.png');
    existing.add('/out/new.png');
    engine.saveRound.mockResolvedValueOnce('/out/new.png');
    await expect(call(CH.saveRound, 'r2', '/out/new.png')).resolves.toBe('/out/new.png'); // its own: replaced
    // a restored output is the app's too
    existing.add('/out/a.png');
    grants.noteJobEvent({ type: 'file-done', jobId: 'j', index: 0, result: { input: '/p/a.png', output: '/out/a.png', status: 'ok', ms: 1 } });
    await call(CH.saveRound, 'r3', '/out/a.png');
    // one that was skipped (already there) is not
    existing.add('/out/b.png');
    grants.noteJobEvent({ type: 'file-done', jobId: 'j', index: 1, result: { input: '/p/b.png', output: '/out/b.png', status: 'skipped', ms: 1 } });
    await expect(call(CH.saveRound, 'r4', '/out/b.png')).rejects.toThrow(/did not make it/);
    expect(engine.saveRound).toHaveBeenCalledTimes(3);
  });

  it('a folder chosen in the dialog, and the output folder of the saved settings, may be written into', async () => {
    chooseFolder.mockResolvedValueOnce('/Users/ann/Restored');
    const settings = { device: 'cpu', strength: 1, format: 'png', quality: 90 };
    const req = { inputs: ['/p/a.png'], outDir: '/Users/ann/Restored/2026', settings };
    await expect(call(CH.startRestore, req)).rejects.toThrow(/may not write into/);
    await expect(call(CH.chooseFolder)).resolves.toBe('/Users/ann/Restored');
    await expect(call(CH.startRestore, req)).resolves.toEqual({ jobId: 'job-1' });
    await expect(call(CH.expandInputs, [['/Users/ann/Restored']][0])).resolves.toBeTruthy(); // "Add folder…" reads it too
    engine.getSettings.mockResolvedValueOnce({ outDir: '/media/ann/usb/restored' } as never);
    await call(CH.getSettings);
    await expect(call(CH.setSettings, { outDir: '/media/ann/usb/restored' })).resolves.toBeTruthy();
  });
});

describe('relayEvent', () => {
  it('sends job and refine events on their channels, and nothing to a destroyed page', () => {
    const contents = { isDestroyed: vi.fn(() => false), send: vi.fn() };
    const job = { type: 'progress', jobId: 'j', done: 1, total: 2, fraction: 0.5, etaMs: 100 } as const;
    relayEvent(contents as never, { channel: 'job', event: job });
    relayEvent(contents as never, { channel: 'refine', event: { type: 'done', jobId: 'r', ok: true } });
    expect(contents.send.mock.calls).toEqual([
      [EV.job, job],
      [EV.refine, { type: 'done', jobId: 'r', ok: true }],
    ]);
    contents.isDestroyed.mockReturnValue(true);
    relayEvent(contents as never, { channel: 'job', event: job });
    relayEvent(null, { channel: 'job', event: job });
    expect(contents.send).toHaveBeenCalledTimes(2);
  });
});
