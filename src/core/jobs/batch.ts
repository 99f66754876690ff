// Batch restore: files and folders in, one restored file per photo out, mirroring each folder's layout.
// Per-file errors are reported and the batch goes on; outputs that already exist are skipped (resume); a cancel
// leaves no partial file (the encoder writes a temp file and renames it); an output that is an input is refused.
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { FileErrorKind, FileResult, JobEvent, JobRequest, JobSummary, ProviderReport, StageInfo } from '../../shared/types';
import { type DecodedImage, decodeImage } from '../image/decode';
import { isImageError } from '../image/types';
import { encodeImage, resolveFormat } from '../image/encode';
import type { InferenceGate } from '../inference/gate';
import type { SessionCache } from '../inference/session';
import { type PipelineResult, RestorePipeline } from '../restore/pipeline';
import { CancelledError, isCancel } from '../cancel';
import type { Stage } from '../restore/stages';
import { collectInputs, type PlannedFile, planOutputs } from './inputs';

export { collectInputs, type CollectOptions, type InputFile, isImagePath, type PlannedFile, planOutputs } from './inputs';

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
  /** The stages each photo goes through (default: STAGES of src/core/restore/stages; tests pass their own). */
  stages?: readonly Stage[];
  /** Timing split of each restored file (for the benchmark). */
  onTimings?: (index: number, t: FileTimings) => void;
}

/** A file that cannot be read stays so on a retry; anything else (memory, a model, the disk) may not. */
function errorKind(e: unknown): FileErrorKind {
  return isImageError(e) ? 'file' : 'engine';
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** Photos up to this size are written while the next one restores; bigger ones are written first (memory). */
export const OVERLAP_MAX_PIXELS = 16_000_000;

/**
 * The job's progress as the 'progress' event reports it. A file's share is `live` while it restores and `pending`
 * while it is written (its write overlaps the next file's restore), so the fraction never goes back; the ETA is the
 * time per unit of work so far times the work left (skipped and failed-at-once files are no work).
 */
export class JobProgress {
  /** Files reported (any status). */
  finished = 0;
  private workDone = 0;
  private workStarted: number | null = null;
  private live = 0;
  private pending = 0;

  constructor(
    readonly total: number,
    /** Files that need work (not refused, not already there). */
    readonly toDo: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A file starts restoring (the first one starts the ETA's clock). */
  startFile(t: number): void {
    this.workStarted ??= t;
  }

  /** The file being restored is this far (0..1). */
  restoring(fraction: number): void {
    this.live = fraction;
  }

  /** The restored file, `fraction` of its share done, moves on to be written; the next file starts from 0. */
  writing(fraction: number): void {
    this.pending = fraction;
    this.live = 0;
  }

  written(): void {
    this.workDone++;
    this.pending = 0;
  }

  writeFailed(): void {
    this.workDone += this.pending;
    this.pending = 0;
  }

  /** The file being restored failed or was cancelled at `fraction`. */
  restoreEnded(fraction: number): void {
    this.workDone += fraction;
    this.live = 0;
  }

  fileReported(): void {
    this.finished++;
  }

  event(): { done: number; total: number; fraction: number; etaMs: number | null } {
    const current = this.live + this.pending;
    const fraction = this.total ? Math.min(1, (this.finished + current) / this.total) : 1;
    let etaMs: number | null = null;
    const w = this.workDone + current;
    if (this.workStarted !== null && w > 0.02 && this.toDo > 0) {
      etaMs = Math.max(0, Math.round(((this.now() - this.workStarted) * (this.toDo - w)) / w));
    } else if (this.toDo === 0 || w >= this.toDo) etaMs = 0;
    return { done: this.finished, total: this.total, fraction, etaMs };
  }
}

/** A photo restored and waiting to be written. */
interface Restored {
  index: number;
  image: DecodedImage;
  info?: Record<string, StageInfo>;
  pixels: number;
  /** Its share of the progress bar when it finished restoring. */
  fraction: number;
  times: { t0: number; decodeMs: number; restoreMs: number; inferenceMs: number; tiles: number };
}

/**
 * One restore job, step by step: plan() finds the photos and where they go; then, per photo, skip() decides whether it
 * needs work, restore() decodes it and runs the pipeline (inside the engine's gate), write() encodes it while the
 * next photo restores (one write in flight; a big photo is written before the next is read); report() counts and
 * announces each result, in order. run() does all of it. Never rejects for a file's fault.
 */
export class RestoreJob {
  readonly id: string;
  files: PlannedFile[] = [];
  readonly summary: JobSummary = { total: 0, ok: 0, failed: 0, skipped: 0, cancelled: 0, ms: 0 };
  progress = new JobProgress(0, 0);
  private readonly pipeline: RestorePipeline;
  /** The previous photo's write, at most one in flight. */
  private writing: Promise<void> | null = null;
  private readonly started = performance.now();

  constructor(
    private readonly req: JobRequest,
    private readonly opts: JobOptions,
  ) {
    this.id = opts.jobId ?? randomUUID();
    // decode -> stages -> encode: the stages (src/core/restore/stages) load their models on the first photo
    this.pipeline = new RestorePipeline({
      settings: req.settings,
      modelsDir: opts.modelsDir,
      sessions: opts.sessions,
      stages: opts.stages,
      onProvider: (report) => this.emit({ type: 'provider', jobId: this.id, report }),
    });
  }

  private emit(e: JobEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch {
      // a listener's failure is not the job's
    }
  }

  private get aborted(): boolean {
    return !!this.opts.signal?.aborted;
  }

  async run(): Promise<JobSummary> {
    await this.plan();
    for (let index = 0; index < this.files.length; index++) {
      if (this.skip(index)) await this.settle(); // results in order: the write in flight is reported first
      const skipped = this.skip(index);
      if (skipped) {
        this.report(index, skipped);
        continue;
      }
      const restored = await this.restore(index);
      if (restored) await this.write(restored);
    }
    await this.settle();
    this.summary.ms = Math.round(performance.now() - this.started);
    this.emit({ type: 'done', jobId: this.id, summary: this.summary });
    return this.summary;
  }

  /** Finds the photos and their outputs; announces them ('start'). */
  async plan(): Promise<void> {
    const outDir = path.resolve(this.req.outDir);
    const inputs = await collectInputs(this.req.inputs, { exclude: [outDir] });
    this.files = planOutputs(inputs, outDir, this.req.settings.format);
    this.summary.total = this.files.length;
    const toDo = this.files.filter((f) => !f.error && !existsSync(f.output)).length;
    this.progress = new JobProgress(this.files.length, toDo);
    this.emit({ type: 'start', jobId: this.id, files: this.files.map((f) => ({ input: f.input, output: f.output })) });
  }

  /** The result of a photo that needs no work (cancelled, refused, already there); null when it needs restoring. */
  skip(index: number): FileResult | null {
    const f = this.files[index];
    const base = { input: f.input, output: f.output };
    if (this.aborted) return { ...base, status: 'cancelled', ms: 0 };
    if (f.error) return { ...base, status: 'error', ms: 0, error: f.error, errorKind: 'file' };
    if (existsSync(f.output)) return { ...base, status: 'skipped', ms: 0 };
    return null;
  }

  /** Counts and announces one photo's result ('file-done', then 'progress'). Results come in file order. */
  report(index: number, result: FileResult): void {
    this.progress.fileReported();
    if (result.status === 'ok') this.summary.ok++;
    else if (result.status === 'error') this.summary.failed++;
    else if (result.status === 'skipped') this.summary.skipped++;
    else this.summary.cancelled++;
    this.emit({ type: 'file-done', jobId: this.id, index, result });
    this.emitProgress();
  }

  private emitProgress(): void {
    this.emit({ type: 'progress', jobId: this.id, ...this.progress.event() });
  }

  /** Waits for the write in flight (it reports its own result). */
  async settle(): Promise<void> {
    if (this.writing) await this.writing;
    this.writing = null;
  }

  /**
   * Decodes and restores one photo. Returns it for writing, or null after reporting why not (cancelled, a bad file,
   * a model that does not load); the write in flight is settled first in that case, so results stay in order.
   */
  async restore(index: number): Promise<Restored | null> {
    const f = this.files[index];
    const jobId = this.id;
    const t0 = performance.now();
    this.progress.startFile(t0);
    let current = 0;
    let lastEmit = 0;
    const fileProgress = (fr: number) => {
      // at most one pair of events per percent or per 200 ms, so thousands of small tiles do not flood the UI
      const now = performance.now();
      if (fr < 1 && fr - current < 0.01 && now - lastEmit < 200) return;
      current = fr;
      lastEmit = now;
      this.progress.restoring(fr);
      this.emit({ type: 'file-progress', jobId, index, fraction: fr });
      this.emitProgress();
    };
    try {
      await this.pipeline.load();
      this.emit({ type: 'file-start', jobId, index, input: f.input, output: f.output });
      const td = performance.now();
      const img = await decodeImage(f.input);
      const pixels = img.width * img.height;
      const t1 = performance.now();
      if (this.aborted) throw new CancelledError();
      fileProgress(0.05);
      let waited = false;
      const release = await this.opts.gate?.acquire('restore', {
        signal: this.opts.signal,
        onWait: (w) => {
          waited = true;
          this.emit({ type: 'file-waiting', jobId, index, behind: w.holder });
        },
      });
      // its turn: say so at once (the first tile's progress may be a while away)
      if (waited) this.emit({ type: 'file-progress', jobId, index, fraction: current });
      let restored: PipelineResult<DecodedImage>;
      try {
        restored = await this.pipeline.run(img, {
          input: f.input,
          signal: this.opts.signal,
          onProgress: (fr) => fileProgress(0.05 + 0.85 * fr),
        });
      } finally {
        release?.();
      }
      const { image, info, inferenceMs, tiles } = restored;
      const t2 = performance.now();
      return {
        index,
        image,
        ...(info ? { info } : {}),
        pixels,
        fraction: current,
        times: { t0, decodeMs: t1 - td, restoreMs: t2 - t1, inferenceMs, tiles },
      };
    } catch (e) {
      await this.settle();
      const ms = Math.round(performance.now() - t0);
      this.progress.restoreEnded(current);
      const base = { input: f.input, output: f.output };
      if (isCancel(e) || this.aborted) this.report(index, { ...base, status: 'cancelled', ms });
      else this.report(index, { ...base, status: 'error', ms, error: message(e), errorKind: errorKind(e) });
      return null;
    }
  }

  /**
   * Writes a restored photo (encode + rename, atomic) after the previous one is written and reported. Photos up to
   * overlapMaxPixels are written while the next one restores; a bigger one is written before this returns.
   */
  async write(r: Restored): Promise<void> {
    const f = this.files[r.index];
    const base = { input: f.input, output: f.output };
    const { settings } = this.req;
    const encode = async () => {
      const tw = performance.now();
      await fsp.mkdir(path.dirname(f.output), { recursive: true });
      // last look before writing: never over an original, never over a file that appeared meanwhile
      if (existsSync(f.output)) throw new Error(`Refused: ${f.output} appeared while restoring; it was left as it is.`);
      await encodeImage(r.image, f.output, {
        format: resolveFormat(f.input, settings.format),
        quality: settings.quality,
        inputPath: f.input,
      });
      const t3 = performance.now();
      const { t0, ...times } = r.times;
      this.opts.onTimings?.(r.index, { ...times, encodeMs: t3 - tw, pixels: r.pixels });
      this.progress.written();
      this.report(r.index, { ...base, status: 'ok', ms: Math.round(t3 - t0), ...(r.info ? { info: r.info } : {}) });
    };
    await this.settle(); // the previous file is written (and reported) before this one is
    this.progress.writing(r.fraction);
    const written = encode().catch((e: unknown) => {
      this.progress.writeFailed();
      this.report(r.index, { ...base, status: 'error', ms: Math.round(performance.now() - r.times.t0), error: message(e), errorKind: 'engine' });
    });
    // a big photo is written before the next one is read: two of them in memory at once would be too many
    if (r.pixels > (this.opts.overlapMaxPixels ?? OVERLAP_MAX_PIXELS)) await written;
    else this.writing = written;
  }
}

/** Runs a restore job to the end (or the cancel) and resolves with its summary; never rejects for a file's fault. */
export function runRestoreJob(req: JobRequest, opts: JobOptions): Promise<JobSummary> {
  return new RestoreJob(req, opts).run();
}

/** The provider report of the last job that loaded a model (for getInfo / the CLI). */
export function lastReport(events: JobEvent[]): ProviderReport | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.type === 'provider') return e.report;
  }
  return null;
}
