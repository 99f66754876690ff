// The IPC contract: one row per request method of ReviveApi (./api.ts) with its channel, the validator of its
// arguments and the side that serves it ('engine': EngineService in the utility process; 'main': Electron main's own
// dialogs and window state). Everything else is made from this table: the preload's window.revive, main's IPC
// handlers and dispatch, the engine client's forwarders (main -> utility process) and the e2e harness. Adding a method:
// its signature in ReviveApi, its row here, its handler on the side named (a test fails while one is missing).
import type { ReviveApi } from './api';
import { LIMITS, RANGES } from './limits';
import {
  Checker,
  colorizeRequest,
  jobRequest,
  type PathPlatform,
  refillRequest,
  refineRequest,
  settingsPatch,
  show,
  ValidationError,
} from './validate';

/** ReviveApi members that are not requests: answered in the preload itself, or event subscriptions (EV). */
export type LocalMember = 'getPathForFile' | 'onJobEvent' | 'onRefineEvent' | 'onCommand';
/** The request methods: every ReviveApi member with a row in IPC. */
export type Method = Exclude<keyof ReviveApi, LocalMember>;
export type Params<M extends Method> = Parameters<ReviveApi[M]>;
export type Side = 'engine' | 'main';

export interface MethodSpec<M extends Method> {
  /** The ipcRenderer.invoke / ipcMain.handle channel. */
  channel: string;
  side: Side;
  /** Checks the arguments; returns a clean copy or throws a ValidationError naming the field. */
  args: (c: Checker, args: unknown[]) => Params<M>;
  /** The method starts a job (it answers { jobId }) whose events come on this EV stream. */
  starts?: keyof typeof EV;
}

const none = (c: Checker, args: unknown[]): [] => {
  c.args(args, 0, 0);
  return [];
};
const one = <T>(f: (c: Checker, v: unknown) => T) => (c: Checker, a: unknown[]): [T] => [f(c, c.args(a, 1, 1)[0])];
const jobId = one((c, v) => c.id(v, 'jobId'));

export const IPC = {
  getInfo: { channel: 'revive:get-info', side: 'engine', args: none },
  getSettings: { channel: 'revive:get-settings', side: 'engine', args: none },
  setSettings: { channel: 'revive:set-settings', side: 'engine', args: one((c, v) => settingsPatch(c, v, 'patch')) },
  chooseFolder: { channel: 'revive:choose-folder', side: 'main', args: none },
  expandInputs: {
    channel: 'revive:expand-inputs',
    side: 'engine',
    args: one((c, v) => c.paths(v, 'paths', 0)),
  },
  loadPreview: {
    channel: 'revive:load-preview',
    side: 'engine',
    args: (c, a) => {
      const [p, size] = c.args(a, 2, 2);
      return [c.path(p, 'path'), c.range(size, 'maxSize', RANGES.preview)];
    },
  },
  startRestore: { channel: 'revive:start-restore', side: 'engine', args: one((c, v) => jobRequest(c, v, 'req')), starts: 'job' },
  cancelJob: { channel: 'revive:cancel-job', side: 'engine', args: jobId },
  startRefine: { channel: 'revive:start-refine', side: 'engine', args: one((c, v) => refineRequest(c, v, 'req')), starts: 'refine' },
  getRefineResult: { channel: 'revive:get-refine-result', side: 'engine', args: jobId },
  saveRound: {
    channel: 'revive:save-round',
    side: 'engine',
    args: (c, a) => {
      const [roundId, outPath] = c.args(a, 2, 2);
      return [c.id(roundId, 'roundId'), c.path(outPath, 'outPath')];
    },
  },
  cancelRefine: { channel: 'revive:cancel-refine', side: 'engine', args: jobId },
  colorize: { channel: 'revive:colorize', side: 'engine', args: one((c, v) => colorizeRequest(c, v, 'req')) },
  refillScratches: {
    channel: 'revive:refill-scratches',
    side: 'engine',
    args: one((c, v) => refillRequest(c, v, 'req')),
    starts: 'job',
  },
  loadScratchMask: { channel: 'revive:load-scratch-mask', side: 'engine', args: one((c, v) => c.path(v, 'output')) },
  showInFolder: { channel: 'revive:show-in-folder', side: 'main', args: one((c, v) => c.path(v, 'path')) },
  setUnsavedWork: {
    channel: 'revive:set-unsaved-work',
    side: 'main',
    args: one((c, v) => (v === null ? null : c.string(v, 'summary', LIMITS.summaryLength))),
  },
} as const satisfies { [M in Method]: MethodSpec<M> };

type Table = typeof IPC;
export type EngineMethod = { [M in Method]: Table[M]['side'] extends 'engine' ? M : never }[Method];
export type MainMethod = Exclude<Method, EngineMethod>;
/** What the engine serves (EngineService implements it; main's EngineClient forwards it). */
export type EngineApi = Pick<ReviveApi, EngineMethod>;
/** What main serves itself. */
export type MainApi = Pick<ReviveApi, MainMethod>;

export const METHODS = Object.keys(IPC) as Method[];
export const ENGINE_METHODS = METHODS.filter((m) => IPC[m].side === 'engine') as EngineMethod[];
export const MAIN_METHODS = METHODS.filter((m) => IPC[m].side === 'main') as MainMethod[];

/** invoke channels (renderer -> main), one per request method. */
export const CH = Object.fromEntries(METHODS.map((m) => [m, IPC[m].channel])) as { [M in Method]: Table[M]['channel'] };

/**
 * The preload's own channel (not a method of window.revive, so the page cannot send on it): the path of a File the
 * person dropped or picked, from webUtils.getPathForFile, sent synchronously before the page gets the path, so main
 * grants it for reading (src/main/grants.ts) before any request names it.
 */
export const GRANT_DROPPED = 'revive:grant-dropped';

/** event channels (main -> renderer). */
export const EV = {
  job: 'revive:job-event',
  refine: 'revive:refine-event',
  /** The application menu's commands (src/main/menu.ts), an AppCommand each. */
  command: 'revive:command',
} as const;

export function isMethod(m: unknown): m is Method {
  return typeof m === 'string' && Object.prototype.hasOwnProperty.call(IPC, m);
}

export function isEngineMethod(m: unknown): m is EngineMethod {
  return isMethod(m) && IPC[m].side === 'engine';
}

/**
 * Checks the arguments of one request; returns a clean copy of them (only the fields the contract knows) or throws a
 * ValidationError naming the bad field. `platform` decides what an absolute path is (main passes process.platform).
 */
export function validateRequest<M extends Method>(method: M, args: unknown, platform: PathPlatform = 'any'): Params<M> {
  if (!isMethod(method)) throw new ValidationError(`Unknown request ${show(method)}.`);
  const c = new Checker(method, platform);
  return (IPC[method].args as (c: Checker, a: unknown[]) => unknown)(c, args as unknown[]) as Params<M>;
}
