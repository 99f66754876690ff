// Validation of every request the renderer sends (the arguments of each ReviveApi method behind a CH channel).
// Pure functions, no imports outside src/shared: main runs them on every IPC message before the engine sees it, the
// e2e harness runs the same ones. Each validator returns a fresh copy holding only the fields the contract knows,
// or throws a ValidationError whose message says which field is wrong and why.
import type { ReviveApi } from './api';
import { CH } from './api';
import type { Settings } from './settings';
import type { Device, JobRequest, OutputFormat, RefineSettings, RestoreSettings, StageSettings } from './types';
import { DEVICES, OUTPUT_FORMATS } from './types';
import { TONE_MODES, type ToneMode } from './tone';
import type { RefineRequest } from './api';

export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** The request methods: every ReviveApi method that has a CH channel. */
export type Method = keyof typeof CH;
export type Params<M extends Method> = Parameters<ReviveApi[M]>;

export const LIMITS = {
  pathLength: 32_767,
  inputs: 100_000,
  previewMin: 16,
  previewMax: 16_384,
  tileMin: 16,
  tileMax: 16_384,
  idLength: 128,
  /** Entries of RestoreSettings.stages. */
  stages: 16,
  /** The words of setUnsavedWork (what leaving would lose; a dialog's detail). */
  summaryLength: 4000,
  /** Strokes and mask PNGs (bytes). */
  imageBytes: 512 * 1024 * 1024,
} as const;

export type PathPlatform = 'posix' | 'win32' | 'any';

const ID_RE = /^[A-Za-z0-9_-]+$/;
const MODEL_ID_RE = /^[A-Za-z0-9._-]+$/;

/** Absolute path in the platform's sense: /x on POSIX; C:\x, C:/x or \\server\share on Windows. */
export function isAbsolutePath(p: string, platform: PathPlatform = 'any'): boolean {
  const posix = p.startsWith('/');
  const win = /^[A-Za-z]:[\\/]/.test(p) || /^\\\\[^\\/]+[\\/][^\\/]+/.test(p) || /^[\\/]/.test(p);
  return platform === 'posix' ? posix : platform === 'win32' ? win : posix || win;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`;
  return `a${typeof v === 'object' ? 'n object' : ` ${typeof v}`}`;
}

class Checker {
  constructor(
    private readonly method: string,
    readonly platform: PathPlatform,
  ) {}

  fail(field: string, what: string, v: unknown): never {
    throw new ValidationError(`Invalid request to ${this.method}: ${field} must be ${what} (got ${show(v)}).`);
  }

  object(v: unknown, field: string, keys: readonly string[]): Record<string, unknown> {
    if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) this.fail(field, 'an object', v);
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) this.fail(field, 'a plain object', v);
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) this.fail(`${field}.${k}`, `absent (${field} may hold only ${keys.join(', ')})`, (v as Record<string, unknown>)[k]);
    }
    return v as Record<string, unknown>;
  }

  string(v: unknown, field: string, max = 4096): string {
    if (typeof v !== 'string') this.fail(field, 'a string', v);
    if (v.length > max) this.fail(field, `at most ${max} characters long`, v);
    return v;
  }

  path(v: unknown, field: string): string {
    const s = this.string(v, field, LIMITS.pathLength);
    if (s.length === 0) this.fail(field, 'a path', v);
    if (s.includes('\0')) this.fail(field, 'a path without NUL characters', v);
    if (!isAbsolutePath(s, this.platform)) this.fail(field, 'an absolute path', v);
    return s;
  }

  id(v: unknown, field: string, re = ID_RE): string {
    const s = this.string(v, field, LIMITS.idLength);
    if (!re.test(s)) this.fail(field, 'an id made of letters, digits, "-" and "_"', v);
    return s;
  }

  number(v: unknown, field: string, lo: number, hi: number): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) this.fail(field, `a number from ${lo} to ${hi}`, v);
    return v;
  }

  int(v: unknown, field: string, lo: number, hi: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) this.fail(field, `a whole number from ${lo} to ${hi}`, v);
    return v;
  }

  boolean(v: unknown, field: string): boolean {
    if (typeof v !== 'boolean') this.fail(field, 'true or false', v);
    return v;
  }

  oneOf<T extends string>(v: unknown, field: string, values: readonly T[]): T {
    if (typeof v !== 'string' || !values.includes(v as T)) this.fail(field, `one of ${values.join(', ')}`, v);
    return v as T;
  }

  bytes(v: unknown, field: string): Uint8Array {
    if (!(v instanceof Uint8Array)) this.fail(field, 'bytes (a Uint8Array)', v);
    if (v.byteLength === 0 || v.byteLength > LIMITS.imageBytes) this.fail(field, `from 1 to ${LIMITS.imageBytes} bytes`, v);
    return v;
  }

  list(v: unknown, field: string, min: number, max: number, what: string): unknown[] {
    if (!Array.isArray(v) || v.length < min || v.length > max) this.fail(field, `a list of ${min} to ${max} ${what}`, v);
    return v;
  }

  args(args: unknown, min: number, max: number): unknown[] {
    if (!Array.isArray(args)) this.fail('the arguments', 'a list', args);
    if (args.length < min || args.length > max) {
      this.fail('the arguments', min === max ? `${min} value${min === 1 ? '' : 's'}` : `${min} to ${max} values`, args);
    }
    return args;
  }
}

function restoreSettings(c: Checker, v: unknown, field: string): RestoreSettings {
  const o = c.object(v, field, ['modelId', 'device', 'strength', 'tile', 'format', 'quality', 'stages']);
  const out: RestoreSettings = {
    device: c.oneOf<Device>(o.device, `${field}.device`, DEVICES),
    strength: c.number(o.strength, `${field}.strength`, 0, 1),
    format: c.oneOf<OutputFormat>(o.format, `${field}.format`, OUTPUT_FORMATS),
    quality: c.int(o.quality, `${field}.quality`, 1, 100),
  };
  if (o.modelId !== undefined) out.modelId = c.id(o.modelId, `${field}.modelId`, MODEL_ID_RE);
  if (o.tile !== undefined) out.tile = c.int(o.tile, `${field}.tile`, LIMITS.tileMin, LIMITS.tileMax);
  if (o.stages !== undefined) out.stages = stageSettings(c, o.stages, `${field}.stages`);
  return out;
}

/** Per-stage settings by stage name (the engine ignores names it has no stage for). */
function stageSettings(c: Checker, v: unknown, field: string): Record<string, StageSettings> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) c.fail(field, 'an object', v);
  const names = Object.keys(v);
  if (names.length > LIMITS.stages) c.fail(field, `at most ${LIMITS.stages} stages`, v);
  const out: Record<string, StageSettings> = {};
  for (const name of names) {
    const f = `${field}.${name}`;
    c.id(name, `${field} (a stage name)`);
    const o = c.object((v as Record<string, unknown>)[name], f, ['enabled', 'strength', 'modelId', 'mode']);
    const s: StageSettings = {};
    if (o.enabled !== undefined) s.enabled = c.boolean(o.enabled, `${f}.enabled`);
    if (o.strength !== undefined) s.strength = c.number(o.strength, `${f}.strength`, 0, 1);
    if (o.modelId !== undefined) s.modelId = c.id(o.modelId, `${f}.modelId`, MODEL_ID_RE);
    if (o.mode !== undefined) s.mode = c.oneOf<ToneMode>(o.mode, `${f}.mode`, TONE_MODES);
    out[name] = s;
  }
  return out;
}

function refineSettings(c: Checker, v: unknown, field: string): RefineSettings {
  const o = c.object(v, field, ['strength', 'steps', 'repeats', 'seed', 'eta', 'device', 'modelId']);
  const out: RefineSettings = {
    strength: c.number(o.strength, `${field}.strength`, 0.2, 0.8),
    steps: c.int(o.steps, `${field}.steps`, 1, 1000),
    repeats: c.int(o.repeats, `${field}.repeats`, 1, 10),
    seed: c.int(o.seed, `${field}.seed`, 0, 2 ** 32 - 1),
    eta: c.number(o.eta, `${field}.eta`, 0, 1),
    device: c.oneOf<Device>(o.device, `${field}.device`, DEVICES),
  };
  if (o.modelId !== undefined) out.modelId = c.id(o.modelId, `${field}.modelId`, MODEL_ID_RE);
  return out;
}

const SETTINGS_KEYS: readonly (keyof Settings)[] = [
  'outDir', 'format', 'quality', 'device', 'strength', 'tile', 'restoreModel', 'refineStrength', 'refineSteps',
  'toneStrength', 'toneMode',
];

function settingsPatch(c: Checker, v: unknown, field: string): Partial<Settings> {
  const o = c.object(v, field, SETTINGS_KEYS);
  const out: Partial<Settings> = {};
  if (o.outDir !== undefined) out.outDir = o.outDir === '' ? '' : c.path(o.outDir, `${field}.outDir`);
  if (o.format !== undefined) out.format = c.oneOf<OutputFormat>(o.format, `${field}.format`, OUTPUT_FORMATS);
  if (o.quality !== undefined) out.quality = c.int(o.quality, `${field}.quality`, 1, 100);
  if (o.device !== undefined) out.device = c.oneOf<Device>(o.device, `${field}.device`, DEVICES);
  if (o.strength !== undefined) out.strength = c.number(o.strength, `${field}.strength`, 0, 1);
  if (o.tile !== undefined) out.tile = o.tile === 0 ? 0 : c.int(o.tile, `${field}.tile`, LIMITS.tileMin, 4096);
  // '' = the manifest's default; an id is not checked against the installed models here (one that is not installed
  // means the default when a restore starts: pickRestoreModel in ./settings)
  if (o.restoreModel !== undefined) {
    out.restoreModel = o.restoreModel === '' ? '' : c.id(o.restoreModel, `${field}.restoreModel`, MODEL_ID_RE);
  }
  if (o.refineStrength !== undefined) out.refineStrength = c.number(o.refineStrength, `${field}.refineStrength`, 0.2, 0.8);
  if (o.refineSteps !== undefined) out.refineSteps = c.int(o.refineSteps, `${field}.refineSteps`, 1, 100);
  if (o.toneStrength !== undefined) out.toneStrength = c.number(o.toneStrength, `${field}.toneStrength`, 0, 1);
  if (o.toneMode !== undefined) out.toneMode = c.oneOf<ToneMode>(o.toneMode, `${field}.toneMode`, TONE_MODES);
  return out;
}

function jobRequest(c: Checker, v: unknown, field: string): JobRequest {
  const o = c.object(v, field, ['inputs', 'outDir', 'settings']);
  const inputs = c.list(o.inputs, `${field}.inputs`, 1, LIMITS.inputs, 'paths');
  return {
    inputs: inputs.map((p, i) => c.path(p, `${field}.inputs[${i}]`)),
    outDir: c.path(o.outDir, `${field}.outDir`),
    settings: restoreSettings(c, o.settings, `${field}.settings`),
  };
}

function refineRequest(c: Checker, v: unknown, field: string): RefineRequest {
  const o = c.object(v, field, ['source', 'strokes', 'mask', 'settings']);
  const s = c.object(o.source, `${field}.source`, ['path', 'roundId']);
  let source: RefineRequest['source'];
  if (s.path !== undefined && s.roundId === undefined) source = { path: c.path(s.path, `${field}.source.path`) };
  else if (s.roundId !== undefined && s.path === undefined) source = { roundId: c.id(s.roundId, `${field}.source.roundId`) };
  else c.fail(`${field}.source`, 'either { path } or { roundId }', o.source);
  const out: RefineRequest = {
    source,
    strokes: c.bytes(o.strokes, `${field}.strokes`),
    settings: refineSettings(c, o.settings, `${field}.settings`),
  };
  if (o.mask !== undefined) out.mask = c.bytes(o.mask, `${field}.mask`);
  return out;
}

type Validators = { [M in Method]: (c: Checker, args: unknown[]) => Params<M> };

const none = (c: Checker, args: unknown[]): [] => {
  c.args(args, 0, 0);
  return [];
};

const VALIDATORS: Validators = {
  getInfo: none,
  getSettings: none,
  chooseFolder: none,
  setSettings: (c, a) => [settingsPatch(c, c.args(a, 1, 1)[0], 'patch')],
  expandInputs: (c, a) => {
    const paths = c.list(c.args(a, 1, 1)[0], 'paths', 0, LIMITS.inputs, 'paths');
    return [paths.map((p, i) => c.path(p, `paths[${i}]`))];
  },
  loadPreview: (c, a) => {
    const [p, size] = c.args(a, 2, 2);
    return [c.path(p, 'path'), c.int(size, 'maxSize', LIMITS.previewMin, LIMITS.previewMax)];
  },
  startRestore: (c, a) => [jobRequest(c, c.args(a, 1, 1)[0], 'req')],
  cancelJob: (c, a) => [c.id(c.args(a, 1, 1)[0], 'jobId')],
  startRefine: (c, a) => [refineRequest(c, c.args(a, 1, 1)[0], 'req')],
  getRefineResult: (c, a) => [c.id(c.args(a, 1, 1)[0], 'jobId')],
  saveRound: (c, a) => {
    const [roundId, outPath] = c.args(a, 2, 2);
    return [c.id(roundId, 'roundId'), c.path(outPath, 'outPath')];
  },
  cancelRefine: (c, a) => [c.id(c.args(a, 1, 1)[0], 'jobId')],
  showInFolder: (c, a) => [c.path(c.args(a, 1, 1)[0], 'path')],
  setUnsavedWork: (c, a) => {
    const summary = c.args(a, 1, 1)[0];
    return [summary === null ? null : c.string(summary, 'summary', LIMITS.summaryLength)];
  },
};

export const METHODS = Object.keys(CH) as Method[];

export function isMethod(m: unknown): m is Method {
  return typeof m === 'string' && Object.prototype.hasOwnProperty.call(CH, m);
}

/**
 * Checks the arguments of one request; returns a clean copy of them (only the fields the contract knows) or throws a
 * ValidationError naming the bad field. `platform` decides what an absolute path is (main passes process.platform).
 */
export function validateRequest<M extends Method>(method: M, args: unknown, platform: PathPlatform = 'any'): Params<M> {
  if (!isMethod(method)) throw new ValidationError(`Unknown request ${show(method)}.`);
  const c = new Checker(method, platform);
  return VALIDATORS[method](c, args as unknown[]) as Params<M>;
}

/** process.platform (or any string) to the path rules validateRequest applies. */
export function pathPlatform(platform: string): PathPlatform {
  return platform === 'win32' ? 'win32' : 'posix';
}
