// src/main/index.ts, the Electron glue, with electron mocked: what it sets up before and after `ready` (privileged
// app:// scheme, sandbox for every renderer, no permissions, a hardened window), how app:// is served (with the CSP,
// never outside the renderer folder), the lazy utility process and the path of a request and of job events
// (relayed to the page, taskbar progress, sleep blocker).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const m = vi.hoisted(() => {
  // vi.hoisted runs before the imports, so it loads what it needs itself
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EventEmitter: EE } = require('node:events') as typeof import('node:events');
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const appEvents = new EE();
  const windows: unknown[] = [];
  const sent: unknown[][] = [];
  class FakeContents extends EE {
    send = (...a: unknown[]) => sent.push(a);
    isDestroyed = () => false;
    openHandler: ((d: unknown) => unknown) | null = null;
    setWindowOpenHandler = (h: (d: unknown) => unknown) => (this.openHandler = h);
  }
  class BrowserWindow extends EE {
    static getAllWindows = () => windows;
    webContents = new FakeContents();
    loadURL = vi.fn(async () => undefined);
    setProgressBar = vi.fn();
    show = vi.fn();
    isMinimized = () => false;
    focused = true;
    isFocused = () => this.focused;
    flashFrame = vi.fn();
    focus = vi.fn();
    restore = vi.fn();
    constructor(readonly opts: Record<string, unknown>) {
      super();
      windows.push(this);
      appEvents.emit('web-contents-created', {}, this.webContents);
    }
  }
  const notes: { opts: Record<string, unknown>; shown: boolean; emit: (ev: string) => void }[] = [];
  class Notification extends EE {
    static isSupported = () => true;
    shown = false;
    constructor(readonly opts: Record<string, unknown>) {
      super();
      notes.push(this);
    }
    show = () => (this.shown = true);
  }
  const child = new EE() as InstanceType<typeof EE> & { postMessage: (m: { id: number; method: string }) => void };
  child.postMessage = (msg) =>
    setImmediate(() => child.emit('message', { kind: 'result', id: msg.id, ok: true, value: { answered: msg.method } }));
  return {
    ready: () => resolveReady(),
    readyPromise: ready,
    appEvents,
    windows,
    sent,
    notes,
    child,
    handlers: new Map<string, (e: unknown, ...a: unknown[]) => Promise<unknown>>(),
    electron: {
      app: {
        enableSandbox: vi.fn(),
        requestSingleInstanceLock: vi.fn(() => true),
        on: (ev: string, fn: (...a: unknown[]) => void) => appEvents.on(ev, fn),
        whenReady: () => ready,
        isPackaged: false,
        getPath: vi.fn(() => '/home/u/.config/Revive'),
        getAppPath: () => '/repo',
        getVersion: () => '0.1.0',
        quit: vi.fn(),
      },
      BrowserWindow,
      Notification,
      nativeTheme: { shouldUseDarkColors: true },
      Menu: { buildFromTemplate: vi.fn((t: unknown) => t), setApplicationMenu: vi.fn() },
      protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
      session: { defaultSession: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() } },
      utilityProcess: { fork: vi.fn(() => child) },
      ipcMain: { handle: vi.fn(), removeHandler: vi.fn(), on: vi.fn(), removeListener: vi.fn() },
      dialog: {
        showOpenDialog: vi.fn(async () => ({ canceled: false, filePaths: ['/chosen'] })),
        showMessageBoxSync: vi.fn((_win: unknown, _opts: Record<string, unknown>) => 1),
      },
      shell: { showItemInFolder: vi.fn() },
      powerSaveBlocker: { start: vi.fn(() => 7), stop: vi.fn() },
    },
  };
});
vi.mock('electron', () => ({ ...m.electron, default: m.electron }));

import { CH, EV } from '../../src/shared/api';
import { GRANT_DROPPED } from '../../src/shared/ipc';
import { APP_ENTRY, CSP } from '../../src/main/security';
import { LEAVE_GENERIC } from '../../src/main/leave';

type Win = InstanceType<typeof m.electron.BrowserWindow>;
const tick = () => new Promise((r) => setTimeout(r, 5));

beforeAll(async () => {
  m.electron.ipcMain.handle.mockImplementation((ch: string, fn: (e: unknown, ...a: unknown[]) => Promise<unknown>) => {
    m.handlers.set(ch, fn);
  });
  await import('../../src/main/index');
  m.ready();
  await tick();
});

describe('main process', () => {
  it('before ready: app:// is a standard secure scheme and every renderer is sandboxed', () => {
    expect(m.electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }),
    ]);
    expect(m.electron.app.enableSandbox).toHaveBeenCalled();
  });

  it('opens one hardened window on the app page', () => {
    expect(m.windows).toHaveLength(1);
    const w = m.windows[0] as Win;
    expect(w.opts.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String((w.opts.webPreferences as { preload: string }).preload)).toMatch(/preload[\\/]index\.js$/);
    expect(w.loadURL).toHaveBeenCalledWith(APP_ENTRY);
  });

  it('blocks navigation away from the app, new windows and webviews', () => {
    const wc = (m.windows[0] as Win).webContents;
    const nav = (url: string, ev = 'will-navigate') => {
      const e = { preventDefault: vi.fn() };
      wc.emit(ev, e, url);
      return e.preventDefault.mock.calls.length > 0;
    };
    expect(nav('https://example.com/')).toBe(true);
    expect(nav('file:///etc/passwd')).toBe(true);
    expect(nav('https://example.com/', 'will-redirect')).toBe(true);
    expect(nav(APP_ENTRY)).toBe(false);
    expect(wc.openHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    const e = { preventDefault: vi.fn() };
    wc.emit('will-attach-webview', e);
    expect(e.preventDefault).toHaveBeenCalled();
  });

  it('grants no permission', () => {
    const s = m.electron.session.defaultSession;
    const cb = vi.fn();
    (s.setPermissionRequestHandler.mock.calls[0] as unknown as [(wc: unknown, p: string, cb: (ok: boolean) => void) => void])[0]({}, 'media', cb);
    expect(cb).toHaveBeenCalledWith(false);
    expect((s.setPermissionCheckHandler.mock.calls[0] as unknown as [() => boolean])[0]()).toBe(false);
  });

  it('serves the renderer on app:// with the CSP, and nothing outside it', async () => {
    const [scheme, serve] = m.electron.protocol.handle.mock.calls[0] as unknown as [string, (r: Request) => Promise<Response>];
    expect(scheme).toBe('app');
    // in the tests __dirname is src/main, so "../renderer" is src/renderer, which has an index.html
    const ok = await serve(new Request('app://revive/index.html'));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toBe(CSP);
    expect(ok.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await ok.text()).toContain('Content-Security-Policy');
    expect((await serve(new Request('app://revive/%2e%2e/%2e%2e/package.json'))).status).toBe(404);
    expect((await serve(new Request('app://elsewhere/index.html'))).status).toBe(404);
    expect((await serve(new Request('app://revive/nope.js'))).status).toBe(404);
  });

  it('starts the engine in a utility process at the first request, and answers through it', async () => {
    expect(m.electron.utilityProcess.fork).not.toHaveBeenCalled();
    const fromApp = { senderFrame: { url: APP_ENTRY, parent: null } };
    await expect(m.handlers.get(CH.getInfo)!(fromApp)).resolves.toEqual({ answered: 'getInfo' });
    const [file, args, opts] = m.electron.utilityProcess.fork.mock.calls[0] as unknown as [string, string[], { serviceName: string }];
    expect(path.basename(file)).toBe('engine-host.js');
    expect(args).toEqual([`--models-dir=${path.join('/repo', 'models')}`, '--user-data-dir=/home/u/.config/Revive', '--version=0.1.0']);
    expect(opts.serviceName).toBe('Revive engine');
    await expect(m.handlers.get(CH.loadPreview)!(fromApp, 'relative.png', 10)).rejects.toThrow(/absolute path/);
    await expect(m.handlers.get(CH.chooseFolder)!(fromApp)).resolves.toBe('/chosen');
  });

  it('relays job events to the page, shows taskbar progress and keeps the computer awake while a job runs', async () => {
    const w = m.windows[0] as Win;
    const job = (event: unknown) => m.child.emit('message', { kind: 'event', message: { channel: 'job', event } });
    job({ type: 'start', jobId: 'j', files: [] });
    job({ type: 'progress', jobId: 'j', done: 1, total: 2, fraction: 0.5, etaMs: 1000 });
    expect(m.electron.powerSaveBlocker.start).toHaveBeenCalledWith('prevent-app-suspension');
    expect(w.setProgressBar).toHaveBeenLastCalledWith(0.5);
    job({ type: 'done', jobId: 'j', summary: { total: 2, ok: 2, failed: 0, skipped: 0, cancelled: 0, ms: 5 } });
    expect(m.electron.powerSaveBlocker.stop).toHaveBeenCalledWith(7);
    expect(w.setProgressBar).toHaveBeenLastCalledWith(-1);
    expect(m.sent.map((s) => s[0])).toEqual([EV.job, EV.job, EV.job]);
    expect((m.sent[1][1] as { fraction: number }).fraction).toBe(0.5);
  });

  it('lets the page touch only what the person gave it (a drop, the folder dialog) and what the app made', async () => {
    const fromApp = { senderFrame: { url: APP_ENTRY, parent: null } };
    const h = (ch: string) => m.handlers.get(ch)!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'revive-main-'));
    try {
      const photo = path.join(dir, 'a.png');
      const old = path.join(dir, 'old.png');
      fs.writeFileSync(photo, 'x');
      fs.writeFileSync(old, 'x');
      await expect(h(CH.loadPreview)(fromApp, photo, 64)).rejects.toThrow(/Refused loadPreview: Revive was not given/);
      // the preload reports a dropped file on its own channel; main grants it
      const [, onDropped] = m.electron.ipcMain.on.mock.calls.find((c) => c[0] === GRANT_DROPPED) as unknown as [
        string,
        (e: { senderFrame: unknown; returnValue?: unknown }, p: unknown) => void,
      ];
      const ev: { senderFrame: unknown; returnValue?: unknown } = { senderFrame: fromApp.senderFrame };
      onDropped(ev, photo);
      expect(ev.returnValue).toBe(true);
      await expect(h(CH.loadPreview)(fromApp, photo, 64)).resolves.toEqual({ answered: 'loadPreview' });
      // a folder chosen in the dialog may be written into; a file in it the app did not make is never replaced
      await expect(h(CH.saveRound)(fromApp, 'r1', path.join(dir, 'new.png'))).rejects.toThrow(/may not write into/);
      m.electron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [dir] });
      await expect(h(CH.chooseFolder)(fromApp)).resolves.toBe(dir);
      await expect(h(CH.saveRound)(fromApp, 'r1', path.join(dir, 'new.png'))).resolves.toEqual({ answered: 'saveRound' });
      await expect(h(CH.saveRound)(fromApp, 'r1', old)).rejects.toThrow(/already there and Revive did not make it/);
      // ...unless the engine reports that it wrote it
      const result = { input: photo, output: old, status: 'ok', ms: 1 };
      m.child.emit('message', { kind: 'event', message: { channel: 'job', event: { type: 'file-done', jobId: 'j', index: 0, result } } });
      await expect(h(CH.saveRound)(fromApp, 'r1', old)).resolves.toEqual({ answered: 'saveRound' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a batch finished while the window is behind others: an OS notification and the taskbar asks for attention', () => {
    const w = m.windows[0] as Win;
    const job = (event: unknown) => m.child.emit('message', { kind: 'event', message: { channel: 'job', event } });
    const summary = { total: 3, ok: 2, failed: 1, skipped: 0, cancelled: 0, ms: 5 };
    // in front: the page's own notice is enough
    job({ type: 'done', jobId: 'f', summary });
    expect(m.notes).toHaveLength(0);
    expect(w.flashFrame).not.toHaveBeenCalled();
    w.focused = false;
    job({ type: 'done', jobId: 'g', summary });
    expect(m.notes).toHaveLength(1);
    expect(m.notes[0].shown).toBe(true);
    expect(m.notes[0].opts).toMatchObject({ title: 'Restoring finished, with problems', body: '2 photos restored, 1 failed.' });
    expect(w.flashFrame).toHaveBeenLastCalledWith(true);
    // clicking the notification brings the window forward; focusing it stops the flashing
    m.notes[0].emit('click');
    expect(w.focus).toHaveBeenCalled();
    w.focused = true;
    w.emit('focus');
    expect(w.flashFrame).toHaveBeenLastCalledWith(false);
  });

  it('has a menu with every command and its shortcut; choosing one sends it to the page', () => {
    const template = m.electron.Menu.setApplicationMenu.mock.calls[0][0] as unknown as {
      label?: string;
      submenu?: { label?: string; accelerator?: string; registerAccelerator?: boolean; click?: () => void }[];
    }[];
    const items = template.flatMap((t) => t.submenu ?? []).filter((i) => i.accelerator);
    const keys = Object.fromEntries(items.map((i) => [i.label, i.accelerator]));
    expect(keys).toMatchObject({
      'Add Photos…': 'CmdOrCtrl+O',
      'Add Folder…': 'CmdOrCtrl+Shift+O',
      'Undo Stroke': 'CmdOrCtrl+Z',
      'Redo Stroke': 'CmdOrCtrl+Shift+Z',
      'Keyboard Shortcuts': '?',
    });
    // the page handles the keys (they work whatever has focus); the menu only shows them
    expect(items.every((i) => i.registerAccelerator === false)).toBe(true);
    const before = m.sent.length;
    items.find((i) => i.label === 'Add Folder…')!.click!();
    expect(m.sent.slice(before)).toEqual([[EV.command, 'add-folder']]);
  });

  it('asks before the page unloads with unsaved work: Leave lets it go, Stay (the default) keeps it', async () => {
    const w = m.windows[0] as Win;
    const box = m.electron.dialog.showMessageBoxSync;
    const unload = (answer: number) => {
      box.mockReturnValueOnce(answer);
      const e = { preventDefault: vi.fn() };
      w.webContents.emit('will-prevent-unload', e);
      return e.preventDefault;
    };
    // the page has not said what it would lose: a generic sentence; Stay keeps the page
    expect(unload(1)).not.toHaveBeenCalled();
    expect(box).toHaveBeenLastCalledWith(w, expect.objectContaining({
      type: 'question',
      buttons: ['Leave', 'Stay'],
      defaultId: 1,
      cancelId: 1,
      message: expect.stringMatching(/Leave Revive\?/),
      detail: LEAVE_GENERIC,
    }));

    // the page reports its words over IPC (validated); the dialog says them; Leave lets the unload go ahead
    const fromApp = { senderFrame: { url: APP_ENTRY, parent: null } };
    const words = 'Refine work would be lost: h.png (1 refine round not saved).';
    await expect(m.handlers.get(CH.setUnsavedWork)!(fromApp, words)).resolves.toBeUndefined();
    await expect(m.handlers.get(CH.setUnsavedWork)!(fromApp, 42)).rejects.toThrow(/summary must be a string/);
    await expect(m.handlers.get(CH.setUnsavedWork)!({ senderFrame: { url: 'https://evil.example/', parent: null } }, 'x'))
      .rejects.toThrow(/Refused/);
    expect(unload(1)).not.toHaveBeenCalled();
    expect(box).toHaveBeenLastCalledWith(w, expect.objectContaining({ detail: words }));
    expect(unload(0)).toHaveBeenCalledTimes(1);
    expect(box).toHaveBeenLastCalledWith(w, expect.objectContaining({ detail: words }));
    expect(box).toHaveBeenCalledTimes(3);
  });

  it('quits when the window is closed (except on macOS)', () => {
    m.appEvents.emit('window-all-closed');
    if (process.platform !== 'darwin') expect(m.electron.app.quit).toHaveBeenCalled();
  });
});
