// One request from the renderer, end to end on the main side: validate the arguments against the contract
// (src/shared/validate), then call the engine (or main's own dialogs). No electron import: main's IPC handlers and the
// e2e harness both call a dispatcher made here, so the tests exercise exactly this code.
import type { ReviveApi } from '../shared/api';
import { type Method, pathPlatform, validateRequest } from '../shared/validate';

/** The methods the engine (EngineService, in the utility process) answers. */
export const ENGINE_METHODS = [
  'getInfo',
  'getSettings',
  'setSettings',
  'expandInputs',
  'loadPreview',
  'startRestore',
  'cancelJob',
  'startRefine',
  'getRefineResult',
  'saveRound',
  'cancelRefine',
  'colorize',
] as const satisfies readonly Method[];

export type EngineMethod = (typeof ENGINE_METHODS)[number];
export type EngineApi = Pick<ReviveApi, EngineMethod>;

export function isEngineMethod(m: unknown): m is EngineMethod {
  return typeof m === 'string' && (ENGINE_METHODS as readonly string[]).includes(m);
}

export interface DispatchDeps {
  engine: EngineApi;
  /** A folder picker (main: dialog.showOpenDialog on the window). */
  chooseFolder(): Promise<string | null>;
  /** Reveals a file in the system's file manager (main: shell.showItemInFolder). */
  showInFolder(path: string): Promise<void>;
  /** Keeps what leaving the page would lose, in words (main: for the will-prevent-unload dialog). */
  setUnsavedWork(summary: string | null): void;
  /** process.platform: decides what an absolute path is. */
  platform?: string;
}

export type Dispatch = (method: Method, args: unknown[]) => Promise<unknown>;

/** Validates, then forwards. A ValidationError (or the engine's own error) rejects the returned promise. */
export function createDispatcher(deps: DispatchDeps): Dispatch {
  const platform = pathPlatform(deps.platform ?? process.platform);
  return async (method, args) => {
    const clean = validateRequest(method, args, platform);
    if (method === 'chooseFolder') return deps.chooseFolder();
    if (method === 'showInFolder') return deps.showInFolder((clean as [string])[0]);
    if (method === 'setUnsavedWork') return deps.setUnsavedWork((clean as [string | null])[0]);
    if (!isEngineMethod(method)) throw new Error(`No handler for ${method}`);
    const fn = deps.engine[method] as (...a: unknown[]) => Promise<unknown>;
    return fn.apply(deps.engine, clean as unknown[]);
  };
}
