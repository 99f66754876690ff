// models/manifest.json: where it is, what it lists, and whether each file is the one it lists (sha256).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import type {
  DiffusionModel,
  FillModel,
  Manifest,
  ManifestModel,
  ModelKind,
  RestoreModel,
  ScratchModel,
  ToneModel,
} from '../../shared/types';
import { MODEL_KINDS } from '../../shared/types';
import { AMOUNT_FEATURES } from '../restore/amount';

/** A model that cannot be used, with words a person understands (which file, what to do). */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly code: 'missing' | 'damaged' | 'no-manifest' | 'bad-manifest' | 'unknown-model' | 'no-model',
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export const MANIFEST_FILE = 'manifest.json';

function hereDir(): string {
  // __dirname exists in the CommonJS CLI bundle, in Electron's main bundle and under vitest.
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}

/**
 * The folder holding models/manifest.json: $REVIVE_MODELS_DIR, else the first `models/` with a manifest found walking
 * up from `start` (default: this module's folder, which works from src/ under vitest and from out/cli/). An Electron
 * app passes process.resourcesPath/models explicitly instead of calling this. Throws a ModelError when none is found.
 */
export function findModelsDir(start: string = hereDir(), env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.REVIVE_MODELS_DIR;
  if (fromEnv) {
    const dir = path.resolve(fromEnv);
    if (!existsSync(path.join(dir, MANIFEST_FILE))) {
      throw new ModelError(`REVIVE_MODELS_DIR is ${dir}, but it holds no ${MANIFEST_FILE}.`, 'no-manifest');
    }
    return dir;
  }
  let dir = path.resolve(start);
  for (;;) {
    const candidate = path.join(dir, 'models');
    if (existsSync(path.join(candidate, MANIFEST_FILE))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new ModelError(
    `Could not find the models folder (models/${MANIFEST_FILE}) above ${start}. Reinstall Revive, or set REVIVE_MODELS_DIR.`,
    'no-manifest',
  );
}

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A relative path that stays inside the models folder. */
const insideFolder = (v: unknown): v is string => isStr(v) && !path.isAbsolute(v) && !v.split(/[\\/]/).includes('..');
const isSha256 = (v: unknown): v is string => isStr(v) && /^[0-9a-f]{64}$/i.test(v);

const isNums = (v: unknown, n: number): v is number[] => Array.isArray(v) && v.length === n && v.every(isNum);

/** The shape of a restore model's `amount` regressor (AmountModel), or what is wrong with it. */
function checkAmount(v: unknown): string | null {
  const a = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const names = a.features;
  if (!Array.isArray(names) || names.join() !== AMOUNT_FEATURES.join()) {
    return `features must be ${AMOUNT_FEATURES.join(', ')}`;
  }
  const f = names.length;
  const h = Array.isArray(a.b1) ? a.b1.length : 0;
  if (!isNums(a.mean, f) || !isNums(a.std, f) || !(a.std as number[]).every((s) => s > 0)) return 'mean/std';
  if (h < 1 || !isNums(a.b1, h) || !isNums(a.w2, h) || !isNum(a.b2)) return 'b1/w2/b2';
  if (!Array.isArray(a.w1) || a.w1.length !== h || !a.w1.every((row) => isNums(row, f))) return 'w1';
  return null;
}

function checkEntry(m: Record<string, unknown>, where: string): string | null {
  if (!isStr(m.id)) return `${where}: no id`;
  if (!MODEL_KINDS.includes(m.kind as ModelKind)) return `${where} (${m.id}): kind must be ${MODEL_KINDS.join(' or ')}`;
  if (!insideFolder(m.file)) return `${where} (${m.id}): file must be a path inside the models folder`;
  if (!isSha256(m.sha256)) return `${where} (${m.id}): sha256 must be 64 hex digits`;
  if (!Array.isArray(m.inputs) || !m.inputs.length || !m.inputs.every(isStr)) return `${where} (${m.id}): inputs`;
  if (!Array.isArray(m.outputs) || !m.outputs.length || !m.outputs.every(isStr)) return `${where} (${m.id}): outputs`;
  const vr = m.value_range;
  if (!Array.isArray(vr) || vr.length !== 2 || !isNum(vr[0]) || !isNum(vr[1]) || vr[0] >= vr[1]) {
    return `${where} (${m.id}): value_range must be [lo, hi]`;
  }
  if (!isNum(m.size_multiple) || m.size_multiple < 1 || !Number.isInteger(m.size_multiple)) {
    return `${where} (${m.id}): size_multiple must be a positive integer`;
  }
  if (!isNum(m.tile) || m.tile < 1) return `${where} (${m.id}): tile must be positive`;
  const tiled = m.kind === 'restore' || m.kind === 'scratch' || m.kind === 'fill';
  if (tiled && (!isNum(m.receptive_overlap) || m.receptive_overlap < 0)) {
    return `${where} (${m.id}): receptive_overlap must be a number >= 0`;
  }
  if (m.kind === 'scratch' && m.tta !== undefined && m.tta !== 'rot180') {
    return `${where} (${m.id}): tta must be "rot180" or absent`;
  }
  if (m.cpu_int8 !== undefined) {
    const q = (typeof m.cpu_int8 === 'object' && m.cpu_int8 !== null ? m.cpu_int8 : {}) as Record<string, unknown>;
    if (!insideFolder(q.file)) return `${where} (${m.id}): cpu_int8.file must be a path inside the models folder`;
    if (!isSha256(q.sha256)) return `${where} (${m.id}): cpu_int8.sha256 must be 64 hex digits`;
  }
  if (m.amount !== undefined) {
    const problem = checkAmount(m.amount);
    if (problem) return `${where} (${m.id}): amount ${problem}`;
  }
  if (m.kind === 'tone' && (!isNum(m.thumb) || m.thumb < 8 || !isNum(m.knots) || m.knots < 2)) {
    return `${where} (${m.id}): a tone model needs thumb (>= 8) and knots (>= 2)`;
  }
  return null;
}

/** Reads and checks dir/manifest.json (shape only; files are checked by verifyModel). */
export async function loadManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new ModelError(`The model list ${file} is missing. Reinstall Revive.`, 'no-manifest');
    throw new ModelError(`The model list ${file} is damaged (${err.message}). Reinstall Revive.`, 'bad-manifest');
  }
  const m = raw as Record<string, unknown>;
  if (!m || typeof m !== 'object' || m.version !== 1 || !Array.isArray(m.models)) {
    throw new ModelError(`The model list ${file} is not a version 1 manifest. Reinstall Revive.`, 'bad-manifest');
  }
  const ids = new Set<string>();
  for (const [i, e] of (m.models as Record<string, unknown>[]).entries()) {
    const problem = checkEntry(e ?? {}, `models[${i}]`);
    if (problem) throw new ModelError(`The model list ${file} is damaged: ${problem}. Reinstall Revive.`, 'bad-manifest');
    if (ids.has(e.id as string)) throw new ModelError(`The model list ${file} lists ${e.id} twice.`, 'bad-manifest');
    ids.add(e.id as string);
  }
  return {
    version: 1,
    default_restore: typeof m.default_restore === 'string' ? m.default_restore : '',
    default_diffusion: typeof m.default_diffusion === 'string' ? m.default_diffusion : '',
    models: m.models as ManifestModel[],
  };
}

/**
 * The model with this id (and kind), or the manifest's default for the kind. A default that is not set or not
 * listed falls back to the first model of that kind, so the app keeps working while the manifest is being updated.
 */
export function getModel(manifest: Manifest, id: string | undefined, kind: 'restore'): RestoreModel;
export function getModel(manifest: Manifest, id: string | undefined, kind: 'diffusion'): DiffusionModel;
export function getModel(manifest: Manifest, id: string | undefined, kind: 'tone'): ToneModel;
export function getModel(manifest: Manifest, id: string | undefined, kind: 'scratch'): ScratchModel;
export function getModel(manifest: Manifest, id: string | undefined, kind: 'fill'): FillModel;
export function getModel(manifest: Manifest, id: string | undefined, kind: ModelKind): ManifestModel;
export function getModel(manifest: Manifest, id: string | undefined, kind: ModelKind): ManifestModel {
  const ofKind = manifest.models.filter((m) => m.kind === kind);
  if (id) {
    const m = manifest.models.find((x) => x.id === id);
    if (!m) {
      const known = ofKind.map((x) => x.id).join(', ') || 'none';
      throw new ModelError(`There is no model "${id}". Installed ${kind} models: ${known}.`, 'unknown-model');
    }
    if (m.kind !== kind) throw new ModelError(`Model "${id}" is a ${m.kind} model, not a ${kind} model.`, 'unknown-model');
    return m;
  }
  const def = kind === 'restore' ? manifest.default_restore : manifest.default_diffusion;
  const m = ofKind.find((x) => x.id === def) ?? ofKind[0];
  if (!m) throw new ModelError(`No ${kind} model is installed. Reinstall Revive.`, 'no-model');
  return m;
}

/** Absolute path of a model's file. */
export function modelPath(dir: string, entry: Pick<ManifestModel, 'file'>): string {
  return path.join(dir, entry.file);
}

/** How the messages name a file: the models folder's own name + the file, e.g. models/restore.onnx. */
export function displayName(dir: string, entry: Pick<ManifestModel, 'file'>): string {
  return `${path.basename(path.resolve(dir))}/${entry.file.replace(/\\/g, '/')}`;
}

/** sha256 (hex) of a file, streamed. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

// path -> { mtimeMs, size, sha } so a model is hashed once per change, not once per job.
const hashCache = new Map<string, { mtimeMs: number; size: number; sha: string }>();
let hashCount = 0;
/** How many files were actually hashed (not served from the cache) since start; for tests. */
export const hashStats = (): { hashed: number } => ({ hashed: hashCount });

/** Checks the model's file against the manifest's sha256; throws a ModelError naming the file when it differs. */
export async function verifyModel(dir: string, entry: Pick<ManifestModel, 'file' | 'sha256'>): Promise<string> {
  const file = modelPath(dir, entry);
  const name = displayName(dir, entry);
  let st;
  try {
    st = await fsp.stat(file);
  } catch {
    throw new ModelError(`Model file ${name} is missing. Reinstall Revive.`, 'missing');
  }
  let c = hashCache.get(file);
  if (!c || c.mtimeMs !== st.mtimeMs || c.size !== st.size) {
    const sha = await sha256File(file);
    hashCount++;
    c = { mtimeMs: st.mtimeMs, size: st.size, sha };
    hashCache.set(file, c);
  }
  if (c.sha.toLowerCase() !== entry.sha256.toLowerCase()) {
    throw new ModelError(`Model file ${name} is damaged (checksum mismatch). Reinstall Revive.`, 'damaged');
  }
  return file;
}

export interface ModelCheck {
  id: string;
  kind: ModelKind;
  name: string;
  file: string;
  bytes: number;
  sha256Ok: boolean;
  error?: string;
  /** The model's int8 copy for the CPU (manifest cpu_int8), when one ships: a bad one only costs speed (float32 runs). */
  cpuInt8?: { file: string; bytes: number; sha256Ok: boolean; error?: string };
}

/** verifyModel over every listed model, never throwing (for `revive models` and getInfo). */
export async function checkModels(dir: string, manifest: Manifest): Promise<ModelCheck[]> {
  const out: ModelCheck[] = [];
  for (const m of manifest.models) {
    const base = { id: m.id, kind: m.kind, name: m.name, file: m.file, bytes: m.bytes };
    let check: ModelCheck;
    try {
      await verifyModel(dir, m);
      check = { ...base, sha256Ok: true };
    } catch (e) {
      check = { ...base, sha256Ok: false, error: (e as Error).message };
    }
    if (m.cpu_int8) {
      const q = { file: m.cpu_int8.file, bytes: m.cpu_int8.bytes };
      try {
        await verifyModel(dir, m.cpu_int8);
        check.cpuInt8 = { ...q, sha256Ok: true };
      } catch (e) {
        check.cpuInt8 = { ...q, sha256Ok: false, error: (e as Error).message };
      }
    }
    out.push(check);
  }
  return out;
}
