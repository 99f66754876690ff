// One request from the renderer, end to end on the main side: validate the arguments against the contract
// (the IPC table of src/shared/ipc), check every path it names against what the page was given (grants.ts), then call
// the side that serves the method: the engine, or main's own dialogs and window state; a reply that gives the page a
// path (a chosen folder, a saved round) is granted on the way back. No electron import: main's IPC handlers and the e2e harness both call a dispatcher made here, so the
// tests exercise exactly this code.
import { type EngineApi, IPC, MAIN_METHODS, type MainMethod, type Method, type Params, validateRequest } from '../shared/ipc';
import { pathPlatform } from '../shared/validate';
import type { PathGrants } from './grants';

export { ENGINE_METHODS, type EngineApi, type EngineMethod, isEngineMethod } from '../shared/ipc';

/** Main's handler of each 'main' row of the table (chooseFolder: a dialog; showInFolder: the shell; ...). */
export type MainHandlers = { [M in MainMethod]: (...args: Params<M>) => unknown };

/** What serves the requests: the engine, and main's handlers for the table's 'main' rows. */
export interface DispatchDeps extends MainHandlers {
  engine: EngineApi;
  /** process.platform: decides what an absolute path is. */
  platform?: string;
  /** The paths the page may touch (main's one list; the e2e harness keeps its own the same way). */
  grants: PathGrants;
}

export type Dispatch = (method: Method, args: unknown[]) => Promise<unknown>;

/**
 * Validates, checks the paths against the grants, then forwards. A ValidationError, a PermissionError (or the engine's
 * own error) rejects the returned promise. Throws at once when a 'main' method of the table has no handler in `deps`.
 */
export function createDispatcher(deps: DispatchDeps): Dispatch {
  const missing = MAIN_METHODS.filter((m) => typeof deps[m] !== 'function');
  if (missing.length) throw new Error(`No handler for ${missing.join(', ')}`);
  if (!deps.grants) throw new Error('createDispatcher needs the path grants');
  const platform = pathPlatform(deps.platform ?? process.platform);
  const { grants } = deps;
  return async (method, args) => {
    const clean = validateRequest(method, args, platform) as unknown[];
    grants.check(method, clean);
    const target: object = IPC[method].side === 'engine' ? deps.engine : deps;
    const fn = (target as Record<string, unknown>)[method];
    if (typeof fn !== 'function') throw new Error(`No handler for ${method}`);
    const result: unknown = await fn.apply(target, clean);
    grants.noteReply(method, clean, result);
    return result;
  };
}
