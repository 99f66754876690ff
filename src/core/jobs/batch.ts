// Batch restore: files and folders in, one restored file per photo out, mirroring each folder's layout.
// Per-file errors are reported and the batch goes on; outputs that already exist are skipped (resume); a cancel
// leaves no partial file (the encoder writes a temp file and renames it); an output that is an input is refused.
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fsp, realpathSync } from 'node:fs';
import path from 'node:path';
import type { FileResult, JobEvent, JobRequest, JobSummary, OutputFormat, ProviderReport, RestoreModel } from '../../shared/types';
import { INPUT_EXTENSIONS } from '../../shared/types';
import { type DecodedImage, decodeImage } from '../image/decode';
import { encodeImage, outputExtension, resolveFormat } from '../image/encode';
import type { InferenceGate } from '../inference/gate';
import type { CachedSession, SessionCache } from '../inference/session';
import { getModel, loadManifest } from '../models/manifest';
import { restoreOnDevice } from '../restore/device';
import { isCancel, type RestoreResult } from '../restore/restore';

export interface InputFile {
  input: string; // absolute path
  rel: string; // path relative to the folder it was found in (its own name for a file given alone)
  error?: string; // set when the input cannot be used at all (missing)
}

export interface PlannedFile extends InputFile {
  output: string; // absolute path
}

const caseInsensitiveFs = process.platform === 'win32' || process.platform === 'darwin';
const key = (p: string) => (caseInsensitiveFs ? p.toLowerCase() : p);

function real(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

export function isImagePath(p: string): boolean {
  return INPUT_EXTENSIONS.includes(path.extname(p).toLowerCase());
}

export interface CollectOptions {
  /** Folders never walked into (the output folder, when it lies inside an input folder). */
  exclude?: string[];
  /** Leave out files given explicitly whose extension is not an image's (folders always leave them out). */
  onlyImages?: boolean;
}

/**
 * The photos behind these paths: a file stands for itself; a folder for every image inside it, recursively (hidden
 * files and folders left out, sorted by path). A path that does not exist is kept with an error. Duplicates are
 * dropped (first one wins).
 */
export async function collectInputs(paths: string[], opts: CollectOptions = {}): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const seen = new Set<string>();
  const exclude = new Set((opts.exclude ?? []).map((p) => key(real(p))));
  const add = (f: InputFile) => {
    const k = key(f.error ? path.resolve(f.input) : real(f.input));
    if (seen.has(k)) return;
    seen.add(k);
    out.push(f);
  };
  const walk = async (dir: string, root: string, visited: Set<string>) => {
    const rd = key(real(dir));
    if (visited.has(rd) || (dir !== root && exclude.has(rd))) return;
    visited.add(rd);
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = await fsp.stat(p).catch(() => null);
        isDir = !!st?.isDirectory();
        isFile = !!st?.isFile();
      }
      if (isDir) await walk(p, root, visited);
      else if (isFile && isImagePath(p)) add({ input: p, rel: path.relative(root, p) });
    }
  };
  for (const raw of paths) {
    const p = path.resolve(raw);
    const st = await fsp.stat(p).catch(() => null);
    if (!st) add({ input: p, rel: path.basename(p), error: `No such file or folder: ${raw}` });
    else if (st.isDirectory()) await walk(p, p, new Set());
    else if (!opts.onlyImages || isImagePath(p)) add({ input: p, rel: path.basename(p) });
  }
  return out;
}

function withDot(ext: string): string {
  return ext.startsWith('.') ? ext : `.${ext}`;
}

/**
 * Where each input's result goes: outDir + its relative path, same stem, the extension of the output format. Two
 * inputs that would land on the same file get "-2", "-3"... An output that is one of the inputs is refused (error).
 */
export function planOutputs(files: InputFile[], outDir: string, format: OutputFormat): PlannedFile[] {
  const root = path.resolve(outDir);
  const inputs = new Set(files.map((f) => key(real(f.input))));
  const taken = new Set<string>();
  return files.map((f) => {
    const relDir = path.dirname(f.rel);
    const stem = path.basename(f.rel, path.extname(f.rel));
    let ext: string;
    try {
      ext = withDot(outputExtension(resolveFormat(f.input, format)));
    } catch {
      ext = path.extname(f.rel) || '.png';
    }
    let output = path.join(root, relDir, stem + ext);
    for (let n = 2; taken.has(key(output)); n++) output = path.join(root, relDir, `${stem}-${n}${ext}`);
    taken.add(key(output));
    const planned: PlannedFile = { ...f, output };
    if (!f.error && (inputs.has(key(real(output))) || inputs.has(key(path.resolve(output))))) {
      planned.error = `Refused: the output ${output} would overwrite an original. Choose another output folder.`;
    }
    return planned;
  });
}

export interface FileTimings {
  decodeMs: number;
  restoreMs: number;
  inferenceMs: number;
  encodeMs: number;
  tiles: number;
  pixels: number;
}

export interface JobOptions {
  onEvent?: (e: JobEvent) => void;
  signal?: AbortSignal;
  sessions: SessionCache;
  modelsDir: string;
  /** One inference at a time: each file's restore waits for it (the engine's gate, shared with refine). */
  gate?: InferenceGate;
  jobId?: string;
  /** Photos up to this many pixels are written while the next one restores (default OVERLAP_MAX_PIXELS). */
  overlapMaxPixels?: number;
  /** Timing split of each restored file (for the benchmark). */
  onTimings?: (index: number, t: FileTimings) => void;
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** Photos up to this size are written while the next one restores; bigger ones are written first (memory). */
export const OVERLAP_MAX_PIXELS = 16_000_000;

/** Runs a restore job to the end (or the cancel) and resolves with its summary; never rejects for a file's fault. */
export async function runRestoreJob(req: JobRequest, opts: JobOptions): Promise<JobSummary> {
  const jobId = opts.jobId ?? randomUUID();
  const emit = (e: JobEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      // a listener's failure is not the job's
    }
  };
  const started = performance.now();
  const { settings } = req;
  const outDir = path.resolve(req.outDir);
  const inputs = await collectInputs(req.inputs, { exclude: [outDir] });
  const files = planOutputs(inputs, outDir, settings.format);
  emit({ type: 'start', jobId, files: files.map((f) => ({ input: f.input, output: f.output })) });

  const summary: JobSummary = { total: files.length, ok: 0, failed: 0, skipped: 0, cancelled: 0, ms: 0 };
  const toDo = files.filter((f) => !f.error && !existsSync(f.output)).length;
  let workDone = 0;
  let workStarted: number | null = null;
  let finished = 0;

  // the share of the file being restored (live) and of the one being written (pending), so the job's fraction
  // never goes back when one file's write overlaps the next file's restore
  let live = 0;
  let pending = 0;
  const progress = () => {
    const current = live + pending;
    const fraction = files.length ? Math.min(1, (finished + current) / files.length) : 1;
    let etaMs: number | null = null;
    const w = workDone + current;
    if (workStarted !== null && w > 0.02 && toDo > 0) {
      etaMs = Math.max(0, Math.round(((performance.now() - workStarted) * (toDo - w)) / w));
    } else if (toDo === 0 || w >= toDo) etaMs = 0;
    emit({ type: 'progress', jobId, done: finished, total: files.length, fraction, etaMs });
  };
  const finish = (index: number, result: FileResult) => {
    finished++;
    if (result.status === 'ok') summary.ok++;
    else if (result.status === 'error') summary.failed++;
    else if (result.status === 'skipped') summary.skipped++;
    else summary.cancelled++;
    emit({ type: 'file-done', jobId, index, result });
    progress();
  };

  let cached: (CachedSession & { model: RestoreModel }) | null = null;
  let modelError: string | null = null;
  const session = async (): Promise<CachedSession & { model: RestoreModel }> => {
    if (cached) return cached;
    if (modelError) throw new Error(modelError);
    try {
      const manifest = await loadManifest(opts.modelsDir);
      const model = getModel(manifest, settings.modelId, 'restore');
      cached = { ...(await opts.sessions.get(opts.modelsDir, model, settings.device)), model };
      emit({ type: 'provider', jobId, report: cached.report });
      return cached;
    } catch (e) {
      modelError = message(e);
      throw e;
    }
  };

  // The previous file's write (encode + rename), at most one in flight: it runs while the next file decodes and
  // restores, so a folder of small photos does not wait for each PNG encode. Results are still reported in order.
  let writing: Promise<void> | null = null;
  const settle = async () => {
    if (writing) await writing;
    writing = null;
  };

  for (let index = 0; index < files.length; index++) {
    const f = files[index];
    const base = { input: f.input, output: f.output };
    if (opts.signal?.aborted || f.error || existsSync(f.output)) await settle();
    if (opts.signal?.aborted) {
      finish(index, { ...base, status: 'cancelled', ms: 0 });
      continue;
    }
    if (f.error) {
      finish(index, { ...base, status: 'error', ms: 0, error: f.error });
      continue;
    }
    if (existsSync(f.output)) {
      finish(index, { ...base, status: 'skipped', ms: 0 });
      continue;
    }
    const t0 = performance.now();
    workStarted ??= t0;
    let current = 0;
    let lastEmit = 0;
    const fileProgress = (fr: number) => {
      // at most one pair of events per percent or per 200 ms, so thousands of small tiles do not flood the UI
      const now = performance.now();
      if (fr < 1 && fr - current < 0.01 && now - lastEmit < 200) return;
      current = fr;
      live = fr;
      lastEmit = now;
      emit({ type: 'file-progress', jobId, index, fraction: fr });
      progress();
    };
    try {
      const s = await session();
      emit({ type: 'file-start', jobId, index, input: f.input, output: f.output });
      const td = performance.now();
      let img: DecodedImage | null = await decodeImage(f.input);
      const pixels = img.width * img.height;
      const t1 = performance.now();
      if (opts.signal?.aborted) throw new DOMException('Cancelled', 'AbortError');
      fileProgress(0.05);
      let waited = false;
      const release = await opts.gate?.acquire('restore', {
        signal: opts.signal,
        onWait: (w) => {
          waited = true;
          emit({ type: 'file-waiting', jobId, index, behind: w.holder });
        },
      });
      // its turn: say so at once (the first tile's progress may be a while away)
      if (waited) emit({ type: 'file-progress', jobId, index, fraction: current });
      let restored: RestoreResult<DecodedImage>;
      try {
        // a GPU out of memory retries with smaller tiles, then on the CPU (reported as a new provider report)
        const onReport = (report: ProviderReport) => emit({ type: 'provider', jobId, report });
        const r = await restoreOnDevice(img, s.model, { sessions: opts.sessions, modelsDir: opts.modelsDir, session: s, onReport }, {
          strength: settings.strength,
          tile: settings.tile,
          signal: opts.signal,
          onProgress: (fr) => fileProgress(0.05 + 0.85 * fr),
        });
        cached = { ...r.session, model: s.model };
        restored = r;
      } finally {
        release?.();
      }
      const { image, stats } = restored;
      img = null; // the input's pixels are not needed any more: let them go before encoding (memory of big photos)
      const t2 = performance.now();
      const write = async () => {
        const tw = performance.now();
        await fsp.mkdir(path.dirname(f.output), { recursive: true });
        // last look before writing: never over an original, never over a file that appeared meanwhile
        if (existsSync(f.output)) throw new Error(`Refused: ${f.output} appeared while restoring; it was left as it is.`);
        await encodeImage(image, f.output, {
          format: resolveFormat(f.input, settings.format),
          quality: settings.quality,
          inputPath: f.input,
        });
        const t3 = performance.now();
        opts.onTimings?.(index, {
          decodeMs: t1 - td,
          restoreMs: t2 - t1,
          inferenceMs: stats.inferenceMs,
          encodeMs: t3 - tw,
          tiles: stats.tiles,
          pixels,
        });
        workDone++;
        pending = 0;
        finish(index, { ...base, status: 'ok', ms: Math.round(t3 - t0) });
      };
      await settle(); // the previous file is written (and reported) before this one is
      pending = current; // this file's share moves from live to pending, the next file starts from 0
      live = 0;
      const written = write().catch((e: unknown) => {
        workDone += pending;
        pending = 0;
        finish(index, { ...base, status: 'error', ms: Math.round(performance.now() - t0), error: message(e) });
      });
      // a big photo is written before the next one is read: two of them in memory at once would be too many
      if (pixels > (opts.overlapMaxPixels ?? OVERLAP_MAX_PIXELS)) await written;
      else writing = written;
    } catch (e) {
      await settle();
      const ms = Math.round(performance.now() - t0);
      workDone += current;
      live = 0;
      if (isCancel(e) || opts.signal?.aborted) finish(index, { ...base, status: 'cancelled', ms });
      else finish(index, { ...base, status: 'error', ms, error: message(e) });
    }
  }
  await settle();
  summary.ms = Math.round(performance.now() - started);
  emit({ type: 'done', jobId, summary });
  return summary;
}

/** The provider report of the last job that loaded a model (for getInfo / the CLI). */
export function lastReport(events: JobEvent[]): ProviderReport | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.type === 'provider') return e.report;
  }
  return null;
}
