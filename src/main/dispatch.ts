// One request from the renderer, end to end on the main side: validate the arguments against the contract
// (the IPC table of src/shared/ipc), then call the side that serves the method: the engine, or main's own dialogs and
// window state. No electron import: main's IPC handlers and the e2e harness both call a dispatcher made here, so the
// tests exercise exactly this code.
import { type EngineApi, IPC, MAIN_METHODS, type MainMethod, type Method, type Params, validateRequest } from '../shared/ipc';
import { pathPlatform } from '../shared/validate';

export { ENGINE_METHODS, type EngineApi, type EngineMethod, isEngineMethod } from '../shared/ipc';

/** Main's handler of each 'main' row of the table (chooseFolder: a dialog; showInFolder: the shell; ...). */
export type MainHandlers = { [M in MainMethod]: (...args: Params<M>) => unknown };

/** What serves the requests: the engine, and main's handlers for the table's 'main' rows. */
export interface DispatchDeps extends MainHandlers {
  engine: EngineApi;
  /** process.platform: decides what an absolute path is. */
  platform?: string;
}

export type Dispatch = (method: Method, args: unknown[]) => Promise<unknown>;

/**
 * Validates, then forwards. A ValidationError (or the engine's own error) rejects the returned promise. Throws at once
 * when a 'main' method of the table has no handler in `deps`.
 */
export function createDispatcher(deps: DispatchDeps): Dispatch {
  const missing = MAIN_METHODS.filter((m) => typeof deps[m] !== 'function');
  if (missing.length) throw new Error(`No handler for ${missing.join(', ')}`);
  const platform = pathPlatform(deps.platform ?? process.platform);
  return async (method, args) => {
    const clean = validateRequest(method, args, platform) as unknown[];
    const target: object = IPC[method].side === 'engine' ? deps.engine : deps;
    const fn = (target as Record<string, unknown>)[method];
    if (typeof fn !== 'function') throw new Error(`No handler for ${method}`);
    return fn.apply(target, clean);
  };
}
