// The sandboxed preload (built to one CommonJS file, out/preload/index.js): exposes `window.revive`, the typed
// ReviveApi of src/shared/api.ts, over ipcRenderer: one invoke per row of the IPC table (src/shared/ipc.ts). Nothing
// else crosses the context bridge; main validates every payload again, this side only passes arguments through and
// turns IPC errors back into plain messages. getPathForFile also tells main the path (GRANT_DROPPED), which is how a
// dropped file becomes one the page may name (src/main/grants.ts).
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { AppCommand, ReviveApi } from '../shared/api';
import { EV, GRANT_DROPPED, IPC, METHODS } from '../shared/ipc';
import type { JobEvent, RefineEvent } from '../shared/types';

/** "Error invoking remote method 'revive:x': Error: words" -> "words". */
export function cleanIpcError(e: unknown): Error {
  const raw = e instanceof Error ? e.message : String(e);
  const m = /^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?([\s\S]*)$/.exec(raw);
  return new Error(m ? m[1] : raw);
}

function invoke<T>(channel: string, ...args: unknown[]): Promise<T> {
  return ipcRenderer.invoke(channel, ...args).catch((e: unknown) => {
    throw cleanIpcError(e);
  }) as Promise<T>;
}

function subscribe<E>(channel: string, cb: (e: E) => void): () => void {
  if (typeof cb !== 'function') throw new TypeError('a callback is required');
  const listener = (_e: IpcRendererEvent, event: E) => cb(event);
  ipcRenderer.on(channel, listener);
  return () => {
    ipcRenderer.removeListener(channel, listener);
  };
}

// every request method of the IPC table on its channel, plus what the preload answers itself and the event streams
const requests = Object.fromEntries(METHODS.map((m) => [m, (...args: unknown[]) => invoke(IPC[m].channel, ...args)]));
const api = {
  ...requests,
  // a File of a drop or of the file picker: its path is granted by main (sendSync: before the page can name it)
  getPathForFile: (file: File) => {
    const p = webUtils.getPathForFile(file);
    if (p) ipcRenderer.sendSync(GRANT_DROPPED, p);
    return p;
  },
  onJobEvent: (cb: (e: JobEvent) => void) => subscribe<JobEvent>(EV.job, cb),
  onRefineEvent: (cb: (e: RefineEvent) => void) => subscribe<RefineEvent>(EV.refine, cb),
  onCommand: (cb: (c: AppCommand) => void) => subscribe<AppCommand>(EV.command, cb),
} as ReviveApi;

contextBridge.exposeInMainWorld('revive', api);
