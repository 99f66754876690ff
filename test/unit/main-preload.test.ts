// The sandboxed preload with electron mocked: it exposes exactly window.revive, wires every method of ReviveApi to
// its CH channel, subscribes and unsubscribes to the EV channels, and turns IPC errors back into the plain message.
import { beforeAll, describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => {
  const exposed = new Map<string, unknown>();
  const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
  return {
    exposed,
    listeners,
    contextBridge: { exposeInMainWorld: vi.fn((k: string, v: unknown) => exposed.set(k, v)) },
    ipcRenderer: {
      invoke: vi.fn(async (ch: string, ...args: unknown[]) => ({ ch, args })),
      sendSync: vi.fn((_ch: string, _p: unknown) => true),
      on: vi.fn((ch: string, l: (...a: unknown[]) => void) => {
        if (!listeners.has(ch)) listeners.set(ch, new Set());
        listeners.get(ch)!.add(l);
      }),
      removeListener: vi.fn((ch: string, l: (...a: unknown[]) => void) => listeners.get(ch)?.delete(l)),
    },
    webUtils: { getPathForFile: vi.fn(() => '/real/path/photo.jpg') },
  };
});
vi.mock('electron', () => ({
  contextBridge: electron.contextBridge,
  ipcRenderer: electron.ipcRenderer,
  webUtils: electron.webUtils,
}));

import { CH, EV, type JobRequest, type ReviveApi } from '../../src/shared/api';
import { GRANT_DROPPED } from '../../src/shared/ipc';

let api: ReviveApi;
beforeAll(async () => {
  const mod = await import('../../src/preload/index');
  expect(mod.cleanIpcError).toBeTypeOf('function');
  api = electron.exposed.get('revive') as ReviveApi;
});

describe('preload', () => {
  it('exposes only window.revive, with every method of the contract', () => {
    expect([...electron.exposed.keys()]).toEqual(['revive']);
    const methods = [...Object.keys(CH), 'getPathForFile', 'onJobEvent', 'onRefineEvent', 'onCommand'].sort();
    expect(Object.keys(api).sort()).toEqual(methods);
  });

  it('sends each request on its own channel with its arguments', async () => {
    const req: JobRequest = { inputs: ['/a'], outDir: '/o', settings: { device: 'auto', strength: 1, format: 'same', quality: 92 } };
    const expected: [Promise<unknown>, string, unknown[]][] = [
      [api.getInfo(), CH.getInfo, []],
      [api.getSettings(), CH.getSettings, []],
      [api.setSettings({ quality: 3 }), CH.setSettings, [{ quality: 3 }]],
      [api.chooseFolder(), CH.chooseFolder, []],
      [api.expandInputs(['/a']), CH.expandInputs, [['/a']]],
      [api.loadPreview('/a.png', 64), CH.loadPreview, ['/a.png', 64]],
      [api.startRestore(req), CH.startRestore, [req]],
      [api.cancelJob('j'), CH.cancelJob, ['j']],
      [api.getRefineResult('j'), CH.getRefineResult, ['j']],
      [api.saveRound('r', '/o.png'), CH.saveRound, ['r', '/o.png']],
      [api.cancelRefine('j'), CH.cancelRefine, ['j']],
      [api.colorize({ source: { path: '/a.png' }, strokes: new Uint8Array(1) }), CH.colorize, [{ source: { path: '/a.png' }, strokes: new Uint8Array(1) }]],
      [api.showInFolder('/o.png'), CH.showInFolder, ['/o.png']],
      [api.setUnsavedWork('1 refine round not saved'), CH.setUnsavedWork, ['1 refine round not saved']],
      [api.setUnsavedWork(null), CH.setUnsavedWork, [null]],
    ];
    for (const [p, ch, args] of expected) await expect(p).resolves.toEqual({ ch, args });
  });

  it('asks webUtils for the path of a dropped file and has main grant it (its own channel, before answering)', () => {
    const file = { name: 'photo.jpg' } as unknown as File;
    expect(api.getPathForFile(file)).toBe('/real/path/photo.jpg');
    expect(electron.webUtils.getPathForFile).toHaveBeenCalledWith(file);
    expect(electron.ipcRenderer.sendSync.mock.calls).toEqual([[GRANT_DROPPED, '/real/path/photo.jpg']]);
    // a File that is no file on disk (made by the page) has no path: nothing to grant
    electron.webUtils.getPathForFile.mockReturnValueOnce('');
    expect(api.getPathForFile(new Blob() as File)).toBe('');
    expect(electron.ipcRenderer.sendSync).toHaveBeenCalledTimes(1);
    // the channel is not one the page can name
    expect(Object.keys(api)).not.toContain('grantDropped');
    expect(Object.values(CH)).not.toContain(GRANT_DROPPED);
  });

  it('delivers events to subscribers until they unsubscribe', () => {
    const got: unknown[] = [];
    const off = api.onJobEvent((e) => got.push(e));
    const offRefine = api.onRefineEvent((e) => got.push(e));
    const offCommand = api.onCommand((c) => got.push(c));
    const emit = (ch: string, e: unknown) => electron.listeners.get(ch)?.forEach((l) => l({ sender: null }, e));
    emit(EV.job, { type: 'done', jobId: 'j' });
    emit(EV.refine, { type: 'step', jobId: 'r' });
    emit(EV.command, 'add-photos'); // the menu's File > Add photos…
    off();
    offRefine();
    offCommand();
    emit(EV.job, { type: 'done', jobId: 'k' });
    emit(EV.command, 'undo');
    expect(got).toEqual([{ type: 'done', jobId: 'j' }, { type: 'step', jobId: 'r' }, 'add-photos']);
    expect(electron.listeners.get(EV.job)!.size).toBe(0);
    expect(() => api.onJobEvent('nope' as never)).toThrow(/callback/);
  });

  it("turns Electron's wrapped IPC errors back into the main process's message", async () => {
    electron.ipcRenderer.invoke.mockRejectedValueOnce(
      new Error("Error invoking remote method 'revive:load-preview': Error: \"/a.png\" is incomplete: the file ends early."),
    );
    await expect(api.loadPreview('/a.png', 64)).rejects.toThrow(/^"\/a.png" is incomplete: the file ends early.$/);
    electron.ipcRenderer.invoke.mockRejectedValueOnce(
      new Error("Error invoking remote method 'revive:start-restore': ValidationError: Invalid request to startRestore: x"),
    );
    await expect(api.startRestore({} as never)).rejects.toThrow(/^Invalid request to startRestore: x$/);
  });
});
