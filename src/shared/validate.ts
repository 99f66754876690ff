// The checks behind every request the renderer sends: a Checker (types, ranges, absolute paths, ids, sizes) and the
// validators of the contract's payloads. Each method's argument validator is its row of the IPC table (./ipc.ts),
// built from these. Pure functions, no imports outside src/shared: main runs them on every IPC message before the
// engine sees it, the e2e harness runs the same ones. Each returns a fresh copy holding only the fields the contract
// knows, or throws a ValidationError whose message says which field is wrong and why.
import { RESTORE_AGAIN, type RestoreAgain, type Settings, type Theme, THEMES } from './settings';
import type { Device, ExistingPolicy, JobRequest, OutputFormat, RefineSettings, RestoreSettings, StageSettings } from './types';
import { DEVICES, EXISTING_POLICIES, OUTPUT_FORMATS } from './types';
import type { ColorizeRequest, RefillRequest, RefineRequest } from './api';
import { describeRange, ID_RE, inRange, LIMITS, MODEL_ID_RE, RANGES, type Range } from './limits';
import { TONE_MODES, type ToneMode } from './tone';

export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

export { LIMITS } from './limits';

export type PathPlatform = 'posix' | 'win32' | 'any';


/** Absolute path in the platform's sense: /x on POSIX; C:\x or C:/x on Windows (UNC paths: see windowsPathProblem). */
export function isAbsolutePath(p: string, platform: PathPlatform = 'any'): boolean {
  const posix = p.startsWith('/');
  const win = /^[A-Za-z]:[\\/]/.test(p);
  return platform === 'posix' ? posix : platform === 'win32' ? win : posix || win;
}

/** Windows' reserved device names: a file named so (with any extension) is the device, not a file. */
const WIN_DEVICE = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$|clock\$) *(\..*)?$/i;

/**
 * Why a path is not a plain local path on Windows, or null: network (UNC) paths (\\server\share, //server/share),
 * device namespaces (\\.\, \\?\, \??\), drive-relative paths (\x, C:x), reserved device names (COM1, NUL.jpg...)
 * in any component, and alternate data streams (a.jpg:stream). Main refuses them: a page must not make the app open
 * a network share (which would send the user's credentials) or a device.
 */
export function windowsPathProblem(p: string): string | null {
  if (/^[\\/]{2}[.?][\\/]/.test(p) || /^\\\?\?\\/.test(p)) return 'a file path, not a device path';
  if (/^[\\/]{2}/.test(p)) return 'a local path, not a network (UNC) path';
  if (!/^[A-Za-z]:[\\/]/.test(p)) return 'an absolute path';
  if (p.indexOf(':', 2) >= 0) return 'a path without ":" after the drive (no alternate data streams)';
  for (const part of p.slice(3).split(/[\\/]+/)) {
    if (WIN_DEVICE.test(part.replace(/[ .]+$/, ''))) return `a path of files, not of a device ("${part}")`;
  }
  return null;
}

/** UTF-8 length of a string (no TextEncoder needed: src/shared runs in the page, main and the engine). */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`;
  return `a${typeof v === 'object' ? 'n object' : ` ${typeof v}`}`;
}

export class Checker {
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
    if (utf8Bytes(s) > LIMITS.pathBytes) this.fail(field, `a path of at most ${LIMITS.pathBytes} bytes`, v);
    // 'any' (a harness on no platform in particular): Windows' rules unless the path is plainly POSIX (one leading /)
    const windows = this.platform === 'win32' || (this.platform === 'any' && !/^\/(?![\\/])/.test(s));
    if (windows) {
      const problem = windowsPathProblem(s);
      if (problem) this.fail(field, problem, v);
    } else if (!isAbsolutePath(s, 'posix')) this.fail(field, 'an absolute path', v);
    return s;
  }

  /** A list of paths (at most LIMITS.inputs, LIMITS.requestPathBytes together). */
  paths(v: unknown, field: string, min: number): string[] {
    const list = this.list(v, field, min, LIMITS.inputs, 'paths');
    const out = list.map((p, i) => this.path(p, `${field}[${i}]`));
    const total = out.reduce((n, p) => n + utf8Bytes(p), 0);
    if (total > LIMITS.requestPathBytes) this.fail(field, `paths of at most ${LIMITS.requestPathBytes} bytes together`, v);
    return out;
  }

  id(v: unknown, field: string, re = ID_RE): string {
    const s = this.string(v, field, LIMITS.idLength);
    if (!re.test(s)) this.fail(field, 'an id made of letters, digits, "-" and "_"', v);
    return s;
  }

  /** A number inside one of the shared RANGES (./limits). */
  range(v: unknown, field: string, r: Range): number {
    if (!inRange(r, v)) this.fail(field, describeRange(r), v);
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
  const o = c.object(v, field, ['modelId', 'device', 'strength', 'tile', 'format', 'quality', 'stages', 'existing']);
  const out: RestoreSettings = {
    device: c.oneOf<Device>(o.device, `${field}.device`, DEVICES),
    strength: c.range(o.strength, `${field}.strength`, RANGES.strength),
    format: c.oneOf<OutputFormat>(o.format, `${field}.format`, OUTPUT_FORMATS),
    quality: c.range(o.quality, `${field}.quality`, RANGES.quality),
  };
  if (o.modelId !== undefined) out.modelId = c.id(o.modelId, `${field}.modelId`, MODEL_ID_RE);
  if (o.tile !== undefined) out.tile = c.range(o.tile, `${field}.tile`, RANGES.tile);
  if (o.stages !== undefined) out.stages = stageSettings(c, o.stages, `${field}.stages`);
  if (o.existing !== undefined) out.existing = c.oneOf<ExistingPolicy>(o.existing, `${field}.existing`, EXISTING_POLICIES);
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
    // a stage's mask files (mask, saveMask) are the CLI's: the page never names files for the engine to read or write
    const o = c.object((v as Record<string, unknown>)[name], f, ['enabled', 'strength', 'modelId', 'mode', 'sensitivity', 'fillModelId', 'keepGrain', 'adapt', 'keepTones']);
    const s: StageSettings = {};
    if (o.enabled !== undefined) s.enabled = c.boolean(o.enabled, `${f}.enabled`);
    if (o.strength !== undefined) s.strength = c.range(o.strength, `${f}.strength`, RANGES.strength);
    if (o.modelId !== undefined) s.modelId = c.id(o.modelId, `${f}.modelId`, MODEL_ID_RE);
    if (o.mode !== undefined) s.mode = c.oneOf<ToneMode>(o.mode, `${f}.mode`, TONE_MODES);
    if (o.sensitivity !== undefined) s.sensitivity = c.range(o.sensitivity, `${f}.sensitivity`, RANGES.scratchSensitivity);
    if (o.fillModelId !== undefined) s.fillModelId = c.id(o.fillModelId, `${f}.fillModelId`, MODEL_ID_RE);
    if (o.keepGrain !== undefined) s.keepGrain = c.boolean(o.keepGrain, `${f}.keepGrain`);
    if (o.adapt !== undefined) s.adapt = c.boolean(o.adapt, `${f}.adapt`);
    if (o.keepTones !== undefined) s.keepTones = c.boolean(o.keepTones, `${f}.keepTones`);
    out[name] = s;
  }
  return out;
}

function refineSettings(c: Checker, v: unknown, field: string): RefineSettings {
  const o = c.object(v, field, ['strength', 'steps', 'repeats', 'seed', 'eta', 'device', 'modelId']);
  const out: RefineSettings = {
    strength: c.range(o.strength, `${field}.strength`, RANGES.refineStrength),
    steps: c.range(o.steps, `${field}.steps`, RANGES.refineSteps),
    repeats: c.range(o.repeats, `${field}.repeats`, RANGES.refineRepeats),
    seed: c.range(o.seed, `${field}.seed`, RANGES.seed),
    eta: c.range(o.eta, `${field}.eta`, RANGES.eta),
    device: c.oneOf<Device>(o.device, `${field}.device`, DEVICES),
  };
  if (o.modelId !== undefined) out.modelId = c.id(o.modelId, `${field}.modelId`, MODEL_ID_RE);
  return out;
}

const SETTINGS_KEYS: readonly (keyof Settings)[] = [
  'outDir', 'format', 'quality', 'device', 'strength', 'tile', 'restoreModel', 'refineStrength', 'refineSteps',
  'toneStrength', 'toneMode', 'restoreAgain', 'theme', 'scratches', 'scratchSensitivity', 'keepGrain', 'adaptNoise',
];

export function settingsPatch(c: Checker, v: unknown, field: string): Partial<Settings> {
  const o = c.object(v, field, SETTINGS_KEYS);
  const out: Partial<Settings> = {};
  if (o.outDir !== undefined) out.outDir = o.outDir === '' ? '' : c.path(o.outDir, `${field}.outDir`);
  if (o.format !== undefined) out.format = c.oneOf<OutputFormat>(o.format, `${field}.format`, OUTPUT_FORMATS);
  if (o.quality !== undefined) out.quality = c.range(o.quality, `${field}.quality`, RANGES.quality);
  if (o.device !== undefined) out.device = c.oneOf<Device>(o.device, `${field}.device`, DEVICES);
  if (o.strength !== undefined) out.strength = c.range(o.strength, `${field}.strength`, RANGES.strength);
  if (o.tile !== undefined) out.tile = o.tile === 0 ? 0 : c.range(o.tile, `${field}.tile`, RANGES.tile);
  // '' = the manifest's default; an id is not checked against the installed models here (one that is not installed
  // means the default when a restore starts: pickRestoreModel in ./settings)
  if (o.restoreModel !== undefined) {
    out.restoreModel = o.restoreModel === '' ? '' : c.id(o.restoreModel, `${field}.restoreModel`, MODEL_ID_RE);
  }
  if (o.refineStrength !== undefined) out.refineStrength = c.range(o.refineStrength, `${field}.refineStrength`, RANGES.refineStrength);
  if (o.refineSteps !== undefined) out.refineSteps = c.range(o.refineSteps, `${field}.refineSteps`, RANGES.refineStepsSetting);
  if (o.toneStrength !== undefined) out.toneStrength = c.range(o.toneStrength, `${field}.toneStrength`, RANGES.toneStrength);
  if (o.toneMode !== undefined) out.toneMode = c.oneOf<ToneMode>(o.toneMode, `${field}.toneMode`, TONE_MODES);
  if (o.scratches !== undefined) out.scratches = c.boolean(o.scratches, `${field}.scratches`);
  if (o.scratchSensitivity !== undefined) {
    out.scratchSensitivity = c.range(o.scratchSensitivity, `${field}.scratchSensitivity`, RANGES.scratchSensitivity);
  }
  if (o.keepGrain !== undefined) out.keepGrain = c.boolean(o.keepGrain, `${field}.keepGrain`);
  if (o.adaptNoise !== undefined) out.adaptNoise = c.boolean(o.adaptNoise, `${field}.adaptNoise`);
  if (o.restoreAgain !== undefined) out.restoreAgain = c.oneOf<RestoreAgain>(o.restoreAgain, `${field}.restoreAgain`, RESTORE_AGAIN);
  if (o.theme !== undefined) out.theme = c.oneOf<Theme>(o.theme, `${field}.theme`, THEMES);
  return out;
}

export function jobRequest(c: Checker, v: unknown, field: string): JobRequest {
  const o = c.object(v, field, ['inputs', 'outDir', 'settings']);
  return {
    inputs: c.paths(o.inputs, `${field}.inputs`, 1),
    outDir: c.path(o.outDir, `${field}.outDir`),
    settings: restoreSettings(c, o.settings, `${field}.settings`),
  };
}

/** A corrected scratch mask to fill (the engine refuses outputs it did not restore in this session). */
export function refillRequest(c: Checker, v: unknown, field: string): RefillRequest {
  const o = c.object(v, field, ['input', 'output', 'mask']);
  return { input: c.path(o.input, `${field}.input`), output: c.path(o.output, `${field}.output`), mask: c.bytes(o.mask, `${field}.mask`) };
}

function source(c: Checker, v: unknown, field: string): RefineRequest['source'] {
  const s = c.object(v, field, ['path', 'roundId']);
  if (s.path !== undefined && s.roundId === undefined) return { path: c.path(s.path, `${field}.path`) };
  if (s.roundId !== undefined && s.path === undefined) return { roundId: c.id(s.roundId, `${field}.roundId`) };
  return c.fail(field, 'either { path } or { roundId }', v);
}

export function refineRequest(c: Checker, v: unknown, field: string): RefineRequest {
  const o = c.object(v, field, ['source', 'strokes', 'mask', 'settings']);
  const out: RefineRequest = {
    source: source(c, o.source, `${field}.source`),
    strokes: c.bytes(o.strokes, `${field}.strokes`),
    settings: refineSettings(c, o.settings, `${field}.settings`),
  };
  if (o.mask !== undefined) out.mask = c.bytes(o.mask, `${field}.mask`);
  return out;
}

export function colorizeRequest(c: Checker, v: unknown, field: string): ColorizeRequest {
  const o = c.object(v, field, ['source', 'strokes', 'previewSize']);
  const out: ColorizeRequest = { source: source(c, o.source, `${field}.source`), strokes: c.bytes(o.strokes, `${field}.strokes`) };
  if (o.previewSize !== undefined) out.previewSize = c.range(o.previewSize, `${field}.previewSize`, RANGES.preview);
  return out;
}

/** process.platform (or any string) to the path rules validateRequest applies. */
export function pathPlatform(platform: string): PathPlatform {
  return platform === 'win32' ? 'win32' : 'posix';
}
