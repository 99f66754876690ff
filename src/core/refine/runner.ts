// RefineRunner: the refine side of EngineService. Jobs (start, events, cancel) and rounds: every finished job's image
// is kept by id (raw pixels in a temp folder, the last few also in memory, the oldest dropped past a bound), so a
// new job can start from any earlier round (more rounds on top, or back to an earlier one) and any round can be saved.
// Jobs run one at a time through an InferenceGate (the engine's, shared with restore, or the runner's own): a job
// started while another runs waits its turn, says so ('queued', then 'start'), and can be cancelled while it waits.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PreviewImage, RefineRequest, RefineRound } from '../../shared/api';
import type { ProviderReport, RefineEvent, RefineSettings } from '../../shared/types';
import { InferenceGate } from '../inference/gate';
import { decodeMask, decodeStrokes } from './inputs';
import type { Schedule } from './schedule';
import { CancelledError, isCancel } from '../cancel';
import type { PixelImage } from '../image/planar';
import { RefineError, refineImage } from './sdedit';
import type { EpsModel } from './tiles';
import type { HoleFiller } from '../scratch/scratch';

/** A decoded photo as src/core/image gives it; the refiner reads width/height/bitDepth/rgb and carries the rest. */
export interface RefinePhoto extends PixelImage {
  alpha?: Uint8Array | Uint16Array;
  meta?: unknown;
}

export interface LoadedDiffusion {
  model: EpsModel;
  sched: Schedule;
  tile: number;
  report: ProviderReport;
}

/** What the runner needs from the rest of the engine (src/core/image, models, inference); tests can stub it. */
export interface RefineBackend<P extends RefinePhoto = RefinePhoto> {
  decode(path: string): Promise<P>;
  /** Atomic write; the format follows the file's extension; refuses to write over `original`. */
  encode(img: P, outPath: string, original: string): Promise<void>;
  preview(img: P): Promise<PreviewImage>;
  diffusion(settings: RefineSettings): Promise<LoadedDiffusion>;
  /** The fill network for a mask with no paint (src/core/scratch), when one is installed; else push-pull is used. */
  holeFiller?(settings: RefineSettings): Promise<HoleFiller | null>;
}

interface Round<P> {
  id: string;
  original: string; // the photo the chain of rounds started from
  file: string;
  template: P; // everything but the pixels
  image?: P;
}

interface Job {
  id: string;
  controller: AbortController;
  done: Promise<string>; // resolves to the new round's id
  settled: boolean;
}

export interface RefineRunnerOptions {
  /** Rounds kept (oldest dropped first). Default 32. */
  maxRounds?: number;
  /** Rounds also kept decoded in memory. Default 2. */
  inMemory?: number;
  tmpRoot?: string;
  /** One inference at a time: the engine's gate (shared with restore); default: the runner's own. */
  gate?: InferenceGate;
}

export class RefineRunner<P extends RefinePhoto = RefinePhoto> {
  private readonly listeners = new Set<(e: RefineEvent) => void>();
  private readonly jobs = new Map<string, Job>();
  private readonly rounds = new Map<string, Round<P>>();
  private readonly maxRounds: number;
  private readonly inMemory: number;
  private readonly tmpRoot: string;
  private readonly gate: InferenceGate;
  private folder: string | null = null;

  constructor(
    private readonly backend: RefineBackend<P>,
    opts: RefineRunnerOptions = {},
  ) {
    this.maxRounds = Math.max(1, opts.maxRounds ?? 32);
    this.inMemory = Math.max(0, opts.inMemory ?? 2);
    this.tmpRoot = opts.tmpRoot ?? os.tmpdir();
    this.gate = opts.gate ?? new InferenceGate();
  }

  onEvent(cb: (e: RefineEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private emit(e: RefineEvent): void {
    for (const cb of [...this.listeners]) {
      try {
        cb(e);
      } catch {
        // a listener's failure must not stop the job or the other listeners
      }
    }
  }

  /** The rounds' temp folder, made on first use. */
  private get dir(): string {
    this.folder ??= fs.mkdtempSync(path.join(this.tmpRoot, 'revive-rounds-'));
    return this.folder;
  }

  /**
   * Starts a refine job and returns its id at once; progress and the end arrive as RefineEvents. When another job
   * holds the gate, it waits its turn ('queued' events first; they may come before this returns).
   */
  start(req: RefineRequest): string {
    const id = randomUUID();
    const controller = new AbortController();
    const job: Job = { id, controller, done: Promise.resolve(''), settled: false };
    this.jobs.set(id, job);
    job.done = this.run(id, req, controller.signal);
    job.done.then(
      () => (job.settled = true),
      () => (job.settled = true), // the outcome is reported as an event and through getResult
    );
    // forget the oldest finished jobs past 64 (never one still waiting or running)
    for (const [old, j] of this.jobs) {
      if (this.jobs.size <= 64) break;
      if (j.settled) this.jobs.delete(old);
    }
    return id;
  }

  /** Stops a job, running or waiting its turn; it ends with a 'done' event with cancelled: true and leaves no round. */
  cancel(jobId: string): void {
    this.jobs.get(jobId)?.controller.abort();
  }

  /** Waits for the job to finish; resolves with its round id, or rejects with why it did not make one. */
  async wait(jobId: string): Promise<string> {
    const job = this.jobs.get(jobId);
    if (!job) throw new RefineError(`no refine job ${jobId}`);
    return job.done;
  }

  /** The finished job's image as a new round (the preview is full resolution). */
  async getResult(jobId: string): Promise<RefineRound> {
    const roundId = await this.wait(jobId);
    return { roundId, preview: await this.backend.preview(await this.roundImage(roundId)) };
  }

  /** Writes a round to `outPath` (atomic). Refuses the photo the rounds started from. Returns the absolute path. */
  async saveRound(roundId: string, outPath: string): Promise<string> {
    const round = this.round(roundId);
    const out = path.resolve(outPath);
    await this.backend.encode(await this.roundImage(roundId), out, round.original);
    return out;
  }

  /** Ids of the rounds kept, oldest first. */
  roundIds(): string[] {
    return [...this.rounds.keys()];
  }

  /**
   * The photo a request starts from (a file, decoded, or a kept round) and the original the chain of rounds began
   * with. For other engines that make rounds (colorize).
   */
  async photo(source: RefineRequest['source']): Promise<{ original: string; image: P }> {
    if ('roundId' in source) return { original: this.round(source.roundId).original, image: await this.roundImage(source.roundId) };
    const original = path.resolve(source.path);
    return { original, image: await this.backend.decode(original) };
  }

  /** Keeps an image made elsewhere (colorize) as a new round; returns its id and the rounds dropped past the bound. */
  keep(original: string, img: P): Promise<{ id: string; dropped: string[] }> {
    return this.addRound(original, img);
  }

  /** The preview of an image, as the backend makes them (full resolution). */
  preview(img: P): Promise<PreviewImage> {
    return this.backend.preview(img);
  }

  /** Drops every round and the temp folder. */
  dispose(): void {
    for (const j of this.jobs.values()) j.controller.abort();
    this.rounds.clear();
    if (this.folder) fs.rmSync(this.folder, { recursive: true, force: true });
    this.folder = null;
  }

  private round(id: string): Round<P> {
    const r = this.rounds.get(id);
    if (!r) throw new RefineError(`no refine round ${id} (it may have been dropped; at most ${this.maxRounds} are kept)`);
    return r;
  }

  private async roundImage(id: string): Promise<P> {
    const r = this.round(id);
    if (r.image) return r.image;
    const buf = await fs.promises.readFile(r.file);
    const t = r.template;
    const n = t.width * t.height * 3;
    const bytes = t.bitDepth === 16 ? 2 : 1;
    const copy = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
    const rgb = bytes === 2 ? new Uint16Array(copy.buffer, 0, n) : copy.subarray(0, n);
    return { ...t, rgb };
  }

  /** Keeps a new round; returns its id and the ids of the oldest rounds dropped to stay within maxRounds. */
  private async addRound(original: string, img: P): Promise<{ id: string; dropped: string[] }> {
    const id = randomUUID();
    const file = path.join(this.dir, `${id}.rgb`);
    const view = img.rgb;
    await fs.promises.writeFile(file, new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    const template = { ...img, rgb: new Uint8Array(0) } as P;
    this.rounds.set(id, { id, original, file, template, image: img });
    const ids = [...this.rounds.keys()];
    const dropped = ids.slice(0, Math.max(0, ids.length - this.maxRounds));
    for (const old of dropped) {
      fs.rmSync(this.rounds.get(old)!.file, { force: true });
      this.rounds.delete(old);
    }

    for (const old of [...this.rounds.keys()].slice(0, Math.max(0, this.rounds.size - this.inMemory))) {
      delete this.rounds.get(old)!.image;
    }
    return { id, dropped };
  }

  private async run(jobId: string, req: RefineRequest, signal: AbortSignal): Promise<string> {
    let release: (() => void) | null = null;
    try {
      let waited = false;
      release = await this.gate.acquire('refine', {
        signal,
        onWait: ({ holder, ahead }) => {
          waited = true;
          this.emit({ type: 'queued', jobId, behind: holder, ahead });
        },
      });
      if (waited) this.emit({ type: 'start', jobId });
      let original: string;
      let photo: P;
      if ('roundId' in req.source) {
        original = this.round(req.source.roundId).original;
        photo = await this.roundImage(req.source.roundId);
      } else {
        original = path.resolve(req.source.path);
        photo = await this.backend.decode(original);
      }
      const strokes = await decodeStrokes(req.strokes, photo.width, photo.height);
      const mask = req.mask ? await decodeMask(req.mask, photo.width, photo.height) : undefined;
      if (signal.aborted) throw new CancelledError();
      const s = req.settings;
      const d = await this.backend.diffusion(s);
      const fillHoles = mask ? ((await this.backend.holeFiller?.(s)) ?? undefined) : undefined;
      this.emit({ type: 'provider', jobId, report: d.report });
      const { image } = await refineImage({ image: photo, strokes, mask }, d.model, d.sched, {
        strength: s.strength,
        steps: s.steps,
        repeats: s.repeats,
        seed: s.seed,
        eta: s.eta,
        tile: d.tile,
        fillHoles,
        signal,
        onStep: (step, steps) => this.emit({ type: 'step', jobId, step, steps, fraction: step / steps }),
      });
      const { id: roundId, dropped } = await this.addRound(original, image);
      if (dropped.length) this.emit({ type: 'dropped', jobId, roundIds: dropped });
      this.emit({ type: 'done', jobId, ok: true });
      return roundId;
    } catch (e) {
      if (isCancel(e) || signal.aborted) {
        this.emit({ type: 'done', jobId, ok: false, cancelled: true });
        throw new RefineError('the refine job was cancelled');
      }
      const msg = e instanceof Error ? e.message : String(e);
      this.emit({ type: 'done', jobId, ok: false, error: msg });
      throw e;
    } finally {
      release?.();
    }
  }
}
