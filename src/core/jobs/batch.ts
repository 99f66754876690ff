// Batch restore: files and folders in, one restored file per photo out, mirroring each folder's layout.
// Per-file errors are reported and the batch goes on; a photo whose identical result Revive made before is skipped
// (resume: the output folder's ledger, ./ledger.ts, says which output was made from which photo with which settings);
// a cancel leaves no partial file (the encoder writes a temp file and renames it); an output that is an input is
// refused; no file Revive did not make is ever written over. Each photo is claimed while it is restored, so several
// processes (two CLIs, the app and the CLI, N machines on a shared folder) can work on one output folder: a photo
// another one is restoring is put off to the end of the job and looked at again once it is done.
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileErrorKind, FileResult, JobEvent, JobRequest, JobSummary, ProviderReport, StageInfo } from '../../shared/types';
import { bytesOfName, displayName, fsPath, hasEscapedBytes } from '../fs-paths';
import { type DecodedImage, decodeImage } from '../image/decode';
import { settingsString } from '../image/xmp';
import { type EncodeFormat, encodeImage, isSameFile, resolveFormat } from '../image/encode';
import { isImageError } from '../image/types';
import type { InferenceGate } from '../inference/gate';
import type { SessionCache } from '../inference/session';
import { type PipelineResult, RestorePipeline } from '../restore/pipeline';
import { CancelledError, isCancel } from '../cancel';
import type { Stage } from '../restore/stages';
import { collectInputs, inShard, numberedName, type PlannedFile, planOutputs } from './inputs';
import {
  type Claim,
  CLAIM_STALE_MS,
  forgetTemp,
  hashFile,
  type LedgerRecord,
  outputMatches,
  outputTemp,
  place,
  readRecord,
  settingsFingerprint,
  tryClaim,
  withoutByProducts,
  writeRecord,
} from './ledger';

export { collectInputs, type CollectOptions, type InputFile, inShard, isImagePath, type PlannedFile, planOutputs } from './inputs';

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
  /** Only this worker's share of the photos, 0 <= index < count (`revive restore --shard K/N`; inShard in ./inputs). */
  shard?: { index: number; count: number };
  /** A claim of another writer not refreshed for this long is taken over (default CLAIM_STALE_MS, ./ledger). */
  claimStaleMs?: number;
  /** How often a photo another process is restoring is looked at again (default 500 ms). */
  claimPollMs?: number;
}

/** What the job knows of one photo once it is its turn. */
interface PhotoState {
  /** This process's claim on the photo, held from its turn until its result is reported. */
  claim?: Claim;
  source?: { size: number; mtimeMs: number };
  hash?: Promise<string>;
  /** Ledger records of outputs Revive made from this photo that are still there unchanged. */
  prior: LedgerRecord[];
}

/** Runs fn on a path sharp can open: the path, or for a name that is not UTF-8 a symlink to it with a UTF-8 name. */
async function withOpenablePath<T>(file: string, fn: (p: string) => Promise<T>): Promise<T> {
  if (!hasEscapedBytes(file)) return fn(file);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'revive-name-'));
  const link = path.join(dir, `revive-link${path.extname(file)}`);
  try {
    await fsp.symlink(bytesOfName(file), link);
    return await fn(link);
  } catch (e) {
    if (e instanceof Error) e.message = e.message.split(link).join(displayName(file));
    throw e;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
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
  /** The photos behind the inputs, all shares of a --shard split together (plan()). */
  found = 0;
  readonly summary: JobSummary = { total: 0, ok: 0, failed: 0, skipped: 0, cancelled: 0, ms: 0 };
  progress = new JobProgress(0, 0);
  private readonly pipeline: RestorePipeline;
  /** The previous photo's write, at most one in flight. */
  private writing: Promise<void> | null = null;
  private readonly started = performance.now();
  private states: PhotoState[] = [];
  private readonly fingerprints = new Map<EncodeFormat, ReturnType<typeof settingsFingerprint>>();

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

  private get policy(): 'skip' | 'replace' | 'keep-both' {
    return this.req.settings.existing ?? 'skip';
  }

  async run(): Promise<JobSummary> {
    await this.plan();
    // photos another process is restoring now: looked at again after the others, until it is done with them
    let later: number[] = [];
    for (let index = 0; index < this.files.length; index++) {
      if ((await this.turn(index)) === 'held') later.push(index);
    }
    while (later.length) {
      await this.settle();
      await sleep(this.opts.claimPollMs ?? 500, this.opts.signal);
      const still: number[] = [];
      for (const index of later) if ((await this.turn(index)) === 'held') still.push(index);
      later = still;
    }
    await this.settle();
    this.summary.ms = Math.round(performance.now() - this.started);
    this.emit({ type: 'done', jobId: this.id, summary: this.summary });
    return this.summary;
  }

  /** One photo's turn: reported as needing no work, put off ('held' by another process), or restored and written. */
  private async turn(index: number): Promise<'held' | void> {
    let result = this.skip(index);
    if (!result) {
      const d = await this.decide(index);
      if (d === 'held') return 'held';
      result = d;
    }
    if (result) {
      await this.settle(); // results in order: the write in flight is reported first
      this.report(index, this.skip(index) ?? result);
      return;
    }
    const restored = await this.restore(index);
    if (restored) await this.write(restored);
  }

  /** Finds the photos and their outputs; announces them ('start'). */
  async plan(): Promise<void> {
    const outDir = path.resolve(this.req.outDir);
    const inputs = await collectInputs(this.req.inputs, { exclude: [outDir] });
    // names over all photos first (every worker of a sharded run names them alike), then this worker's share
    const planned = planOutputs(inputs, outDir, this.req.settings.format);
    this.found = planned.length;
    const { shard } = this.opts;
    this.files = shard ? planned.filter((f) => inShard(f.rel, shard)) : planned;
    this.states = this.files.map(() => ({ prior: [] }));
    this.summary.total = this.files.length;
    // a first look at what is done already (size and mtime only, no hashing), for the ETA and the outputs announced
    const outputs = this.files.map((f) => f.output);
    let toDo = 0;
    for (let i = 0; i < this.files.length; i++) {
      if (this.files[i].error) continue;
      const same = this.policy === 'skip' ? await this.identical(i, false) : null;
      if (same) outputs[i] = path.join(path.dirname(this.files[i].output), same.output);
      else toDo++;
    }
    this.progress = new JobProgress(this.files.length, toDo);
    this.emit({ type: 'start', jobId: this.id, files: this.files.map((f, i) => ({ input: f.input, output: outputs[i] })) });
  }

  /** The result of a photo that needs no work for certain (cancelled, refused); null when it must be looked at. */
  skip(index: number): FileResult | null {
    const f = this.files[index];
    const base = { input: f.input, output: f.output };
    if (this.aborted) return { ...base, status: 'cancelled', ms: 0 };
    if (f.error) return { ...base, status: 'error', ms: 0, error: f.error, errorKind: 'file' };
    return null;
  }

  /**
   * A photo's turn, after skip(): claims it ('held' while another process has it: look again later), then looks in
   * the ledger. Resolves with the result of a photo that needs no work (an identical result is there, existing
   * 'skip'; the claim is let go), or null when it must be restored (the claim is kept until its result is reported).
   */
  async decide(index: number): Promise<FileResult | 'held' | null> {
    const f = this.files[index];
    const st = this.states[index];
    const claim = await tryClaim(path.dirname(f.output), 's', path.basename(f.rel), this.opts.claimStaleMs ?? CLAIM_STALE_MS);
    if (claim === 'held') return 'held';
    st.claim = claim;
    const same = this.policy === 'skip' ? await this.identical(index, true).catch(() => null) : null;
    if (!same) return null;
    await this.release(index);
    const output = path.join(path.dirname(f.output), same.output);
    return { input: f.input, output, status: 'skipped', ms: 0, identical: true };
  }

  private async release(index: number): Promise<void> {
    const st = this.states[index];
    await st.claim?.release().catch(() => undefined);
    st.claim = undefined;
  }

  private fingerprint(index: number): ReturnType<typeof settingsFingerprint> {
    const format = resolveFormat(this.files[index].input, this.req.settings.format);
    let fp = this.fingerprints.get(format);
    if (!fp) {
      fp = settingsFingerprint(this.req.settings, format, this.opts.modelsDir);
      this.fingerprints.set(format, fp);
    }
    return fp;
  }

  private sourceHash(index: number): Promise<string> {
    const st = this.states[index];
    st.hash ??= hashFile(this.files[index].input);
    return st.hash;
  }

  /** Reads the photo's size and mtime, and the ledger's records of the outputs made from it that are still there. */
  private async lookup(index: number): Promise<PhotoState> {
    const f = this.files[index];
    const st = this.states[index];
    const dir = path.dirname(f.output);
    const name = path.basename(f.rel);
    const s = await fsp.stat(fsPath(f.input)).catch(() => null);
    st.source = s ? { size: s.size, mtimeMs: s.mtimeMs } : undefined;
    st.hash = undefined;
    st.prior = [];
    for (const rec of [await readRecord(dir, 'sources', name), await readRecord(dir, 'outputs', path.basename(f.output))]) {
      if (!rec || st.prior.some((r) => r.output === rec.output)) continue;
      if ((rec.source === f.input || rec.sourceName === name) && (await outputMatches(dir, rec))) st.prior.push(rec);
    }
    return st;
  }

  /**
   * The record of an identical earlier result: made from this photo's contents (the same size and mtime, or, with
   * `hash`, the same SHA-256) with the same settings, still there unchanged. Null when there is none.
   */
  private async identical(index: number, hash: boolean): Promise<LedgerRecord | null> {
    const st = await this.lookup(index);
    if (!st.source || !st.prior.length) return null;
    const { fingerprint } = await this.fingerprint(index).catch(() => ({ fingerprint: '' }));
    for (const rec of st.prior) {
      if (rec.settings !== fingerprint || rec.sourceSize !== st.source.size) continue;
      if (Math.abs(rec.sourceMtimeMs - st.source.mtimeMs) < 1) return rec;
      if (hash && (await this.sourceHash(index)) === rec.sourceHash) return rec;
    }
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
      // the photo's identity for the ledger: read before decoding (what is restored is what was hashed)
      if (!this.states[index].source) await this.lookup(index);
      await this.sourceHash(index).catch(() => undefined);
      const img = await withOpenablePath(f.input, decodeImage);
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
      await this.release(index);
      const ms = Math.round(performance.now() - t0);
      this.progress.restoreEnded(current);
      const base = { input: f.input, output: f.output };
      if (isCancel(e) || this.aborted) this.report(index, { ...base, status: 'cancelled', ms });
      else this.report(index, { ...base, status: 'error', ms, error: message(e), errorKind: errorKind(e) });
      return null;
    }
  }

  /**
   * Saves a restored photo: encoded to a temp file, recorded in the ledger, then moved to its name: over the earlier
   * output of this photo (existing 'replace'), else the planned name, else the first free "-2", "-3"... (never over a
   * file: an output name is claimed, and the move fails rather than replace). Resolves with the output's path.
   */
  private async save(r: Restored): Promise<{ output: string; replaced: boolean }> {
    const f = this.files[r.index];
    const st = this.states[r.index];
    const { settings } = this.req;
    const dir = path.dirname(f.output);
    await fsp.mkdir(dir, { recursive: true });
    const format = resolveFormat(f.input, settings.format);
    const [{ fingerprint, used }, sourceHash] = await Promise.all([this.fingerprint(r.index), this.sourceHash(r.index)]);
    let over = this.policy === 'replace' ? st.prior.find((p) => p.source === f.input || p.sourceHash === sourceHash) : undefined;
    const tmp = outputTemp(dir, path.basename(f.output));
    let nameClaim: Claim | undefined;
    try {
      await encodeImage(r.image, tmp, {
        format,
        quality: settings.quality,
        inputPath: f.input,
        provenance: { settings: settingsString(withoutByProducts(settings)), sourceHash },
      });
      const [ost, outputHash] = await Promise.all([fsp.stat(tmp), hashFile(tmp)]);
      for (let n = 1; n < 10_000; ) {
        let name: string;
        const replace = !!over && (await outputMatches(dir, over));
        if (over && replace) name = over.output;
        else {
          over = undefined;
          name = numberedName(path.basename(f.output), n++);
          if (existsSync(fsPath(path.join(dir, name)))) continue;
          const c = await tryClaim(dir, 'o', name, this.opts.claimStaleMs ?? CLAIM_STALE_MS);
          if (c === 'held') continue;
          await nameClaim?.release();
          nameClaim = c;
        }
        const dest = path.join(dir, name);
        if (await isSameFile(f.input, dest)) throw new Error(`Refused: ${dest} is the original photo; it was left as it is.`);
        const rec: LedgerRecord = {
          v: 1,
          output: name,
          outputSize: ost.size,
          outputMtimeMs: ost.mtimeMs,
          outputHash,
          source: f.input,
          sourceName: path.basename(f.rel),
          sourceSize: st.source?.size ?? -1,
          sourceMtimeMs: st.source?.mtimeMs ?? -1,
          sourceHash,
          settings: fingerprint,
          settingsUsed: used,
          at: new Date().toISOString(),
          host: os.hostname(),
          pid: process.pid,
        };
        // the record first: an output whose record is missing would be taken for someone else's file
        await writeRecord(dir, 'outputs', rec).catch((e: unknown) => {
          throw new Error(`could not record ${dest} in the output folder's ledger (${message(e)}); it was not written.`);
        });
        if (await place(tmp, dest, replace)) {
          await writeRecord(dir, 'sources', rec);
          return { output: dest, replaced: replace };
        }
        over = undefined; // a file appeared at that name meanwhile: it is left alone, the next name is tried
      }
      throw new Error(`cannot find a free name for ${f.output}`);
    } finally {
      forgetTemp(tmp);
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      await nameClaim?.release();
    }
  }

  /**
   * Writes a restored photo (save(): encode, ledger, move) after the previous one is written and reported. Photos up
   * to overlapMaxPixels are written while the next one restores; a bigger one is written before this returns.
   */
  async write(r: Restored): Promise<void> {
    const f = this.files[r.index];
    const base = { input: f.input, output: f.output };
    const encode = async () => {
      const tw = performance.now();
      const { output, replaced } = await this.save(r);
      const t3 = performance.now();
      const { t0, ...times } = r.times;
      this.opts.onTimings?.(r.index, { ...times, encodeMs: t3 - tw, pixels: r.pixels });
      this.progress.written();
      await this.release(r.index);
      this.report(r.index, {
        ...base,
        output,
        status: 'ok',
        ms: Math.round(t3 - t0),
        ...(replaced ? { replaced } : {}),
        ...(r.info ? { info: r.info } : {}),
      });
    };
    await this.settle(); // the previous file is written (and reported) before this one is
    this.progress.writing(r.fraction);
    const written = encode().catch(async (e: unknown) => {
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
