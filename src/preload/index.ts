// The sandboxed preload (built to one CommonJS file, out/preload/index.js): exposes `window.revive`, the typed
// ReviveApi of src/shared/api.ts, over ipcRenderer. Nothing else crosses the context bridge; main validates every
// payload again, this side only passes arguments through and turns IPC errors back into plain messages.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { CH, EV, type ReviveApi } from '../shared/api';
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

const api: ReviveApi = {
  getPathForFile: (file) => webUtils.getPathForFile(file),
  getInfo: () => invoke(CH.getInfo),
  getSettings: () => invoke(CH.getSettings),
  setSettings: (patch) => invoke(CH.setSettings, patch),
  chooseFolder: () => invoke(CH.chooseFolder),
  expandInputs: (paths) => invoke(CH.expandInputs, paths),
  loadPreview: (path, maxSize) => invoke(CH.loadPreview, path, maxSize),
  startRestore: (req) => invoke(CH.startRestore, req),
  cancelJob: (jobId) => invoke(CH.cancelJob, jobId),
  onJobEvent: (cb) => subscribe<JobEvent>(EV.job, cb),
  startRefine: (req) => invoke(CH.startRefine, req),
  getRefineResult: (jobId) => invoke(CH.getRefineResult, jobId),
  saveRound: (roundId, outPath) => invoke(CH.saveRound, roundId, outPath),
  cancelRefine: (jobId) => invoke(CH.cancelRefine, jobId),
  onRefineEvent: (cb) => subscribe<RefineEvent>(EV.refine, cb),
  colorize: (req) => invoke(CH.colorize, req),
  showInFolder: (path) => invoke(CH.showInFolder, path),
  setUnsavedWork: (summary) => invoke(CH.setUnsavedWork, summary),
};

contextBridge.exposeInMainWorld('revive', api);
