// Main's IPC surface: one ipcMain.handle per CH channel. Each handler first checks that the message comes from the top
// frame of the app's own page, then hands the arguments to the dispatcher (which validates them against
// src/shared/validate before anything runs). Engine events go back to the window on the EV channels.
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { CH, EV } from '../shared/api';
import { GRANT_DROPPED, type Method } from '../shared/ipc';
import type { EngineMessage } from '../core/service';
import type { Dispatch } from './dispatch';
import type { PathGrants } from './grants';
import { isTrustedSender } from './security';

export const UNTRUSTED_SENDER = "Refused: this request did not come from Revive's own window.";

/**
 * Registers every handler; returns a function that removes them. `appUrl()` is the URL the window loads. The
 * preload's GRANT_DROPPED message (a dropped or picked file's path) is granted for reading in `grants`.
 */
export function registerIpc(dispatch: Dispatch, appUrl: () => string, grants: PathGrants): () => void {
  const channels = Object.entries(CH) as [Method, string][];
  for (const [method, channel] of channels) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]) => {
      if (!isTrustedSender(event.senderFrame, appUrl())) throw new Error(UNTRUSTED_SENDER);
      return dispatch(method, args);
    });
  }
  const onDropped = (event: IpcMainEvent, p: unknown) => {
    event.returnValue = isTrustedSender(event.senderFrame, appUrl()) && grants.grantDropped(p);
  };
  ipcMain.on(GRANT_DROPPED, onDropped);
  return () => {
    for (const [, channel] of channels) ipcMain.removeHandler(channel);
    ipcMain.removeListener(GRANT_DROPPED, onDropped);
  };
}

/** Sends an engine event to a window's page (nothing when the page is gone). */
export function relayEvent(contents: WebContents | null | undefined, m: EngineMessage): void {
  if (!contents || contents.isDestroyed()) return;
  contents.send(m.channel === 'job' ? EV.job : EV.refine, m.event);
}
