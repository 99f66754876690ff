// EngineService: the engine side of ReviveApi (everything but getPathForFile, chooseFolder and showInFolder).
// Plain Node only: the Electron utility process hosts one, the e2e harness and the tests use one directly.
// Events go to listeners registered with on() (both kinds) or onJobEvent()/onRefineEvent().
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import type {
  AppInfo,
  ColorizeRequest,
  ColorizeResult,
  ModelInfo,
  PreviewImage,
  RefillRequest,
  RefineRequest,
  RefineRound,
} from '../shared/api';
import { DEFAULT_SETTINGS, sanitizeSettings, type Settings } from '../shared/settings';
import type { JobEvent, JobRequest, ProviderReport, RefineEvent } from '../shared/types';
import { AppFiles } from './app-files';
import { decodeImage, probeImage } from './image/decode';
import { encodePreview } from './image/encode';
import { InferenceGate } from './inference/gate';
import { availableProviders, SessionCache } from './inference/session';
import { collectInputs, runRestoreJob } from './jobs/batch';
import { checkModels, loadManifest } from './models/manifest';
import { engineRefineBackend } from './refine/backend';
import { RefineRunner, type RefineBackend } from './refine/runner';
import { ColorizeService } from './colorize/service';
import { runRefillJob } from './scratch/refill';
import { pathKey } from './fs-paths';

/** One message of the engine: which stream (the EV channel names' tail) and the event. */
export type EngineMessage = { channel: 'job'; event: JobEvent } | { channel: 'refine'; event: RefineEvent };
export type EngineListener = (m: EngineMessage) => void;

export interface EngineServiceOptions {
  modelsDir: string;
  userDataDir: string;
  /** App version for getInfo; default: the version in the package.json above modelsDir, else '0.0.0'. */
  version?: string;
  /** Shared session cache (default: a new one). */
  sessions?: SessionCache;
  /**
   * Where refine jobs get photos and the diffusion model (default: engineRefineBackend over this service's models,
   * sessions and quality setting; tests pass a stub); null = no refine (its calls reject).
   */
  refineBackend?: RefineBackend | null;
  /** Where the engine's work folder (scratch masks) and refine's rounds are made (default: the OS's temp folder). */
  tmpRoot?: string;
}

export const SETTINGS_FILE = 'settings.json';

function findVersion(start: string): string {
  let dir = path.resolve(start);
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const v = JSON.parse(readFileSync(p, 'utf8')).version;
        if (typeof v === 'string') return v;
      } catch {
        // keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return '0.0.0';
}

interface JobState {
  controller: AbortController;
  done: Promise<void>;
}

export class EngineService {
  readonly modelsDir: string;
  readonly userDataDir: string;
  readonly sessions: SessionCache;
  /** One inference at a time, engine-wide: a restore job takes it per file, a refine job for its run. */
  readonly gate = new InferenceGate();
  private readonly version: string;
  private readonly listeners = new Set<EngineListener>();
  private readonly jobs = new Map<string, JobState>();
  private queue: Promise<void> = Promise.resolve();
  private lastProvider: ProviderReport | null = null;
  private settings: Settings | null = null;
  private settingsWrite: Promise<unknown> = Promise.resolve();
  /** The refine jobs and their rounds (null when built without refine). */
  readonly refine: RefineRunner | null;
  private colorizer: ColorizeService | null = null;
  /** The files the app created: each restore's scratch mask, by the output it belongs to. */
  readonly files: AppFiles;

  constructor(opts: EngineServiceOptions) {
    this.modelsDir = path.resolve(opts.modelsDir);
    this.userDataDir = path.resolve(opts.userDataDir);
    this.sessions = opts.sessions ?? new SessionCache();
    this.version = opts.version ?? findVersion(path.dirname(this.modelsDir));
    this.files = new AppFiles(opts.tmpRoot);
    const backend =
      opts.refineBackend === undefined
        ? engineRefineBackend({
            modelsDir: this.modelsDir,
            sessions: this.sessions,
            quality: async () => (await this.getSettings()).quality,
          })
        : opts.refineBackend;
    this.refine = backend ? new RefineRunner(backend, { gate: this.gate, tmpRoot: opts.tmpRoot }) : null;
    this.refine?.onEvent((event) => {
      if (event.type === 'provider') this.lastProvider = event.report;
      this.emit({ channel: 'refine', event });
    });
  }

  // ---- events ----

  on(listener: EngineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onJobEvent(cb: (e: JobEvent) => void): () => void {
    return this.on((m) => m.channel === 'job' && cb(m.event));
  }

  onRefineEvent(cb: (e: RefineEvent) => void): () => void {
    return this.on((m) => m.channel === 'refine' && cb(m.event));
  }

  private emit(m: EngineMessage): void {
    for (const l of [...this.listeners]) {
      try {
        l(m);
      } catch {
        // one listener's failure must not stop the others or the job
      }
    }
  }

  // ---- info and settings ----

  async getInfo(): Promise<AppInfo> {
    let models: ModelInfo[] = [];
    let defaultRestore = '';
    try {
      const manifest = await loadManifest(this.modelsDir);
      defaultRestore = manifest.default_restore;
      const described = new Map(manifest.models.map((m) => [m.id, m.description]));
      models = (await checkModels(this.modelsDir, manifest)).map((m) => {
        const description = described.get(m.id);
        return {
          id: m.id,
          kind: m.kind,
          name: m.name,
          ...(typeof description === 'string' && description ? { description } : {}),
          sha256Ok: m.sha256Ok,
          ...(m.error ? { error: m.error } : {}),
        };
      });
    } catch (e) {
      models = [{ id: '', kind: 'restore', name: 'models/manifest.json', sha256Ok: false, error: (e as Error).message }];
    }
    return {
      version: this.version,
      models,
      defaultRestore,
      providers: availableProviders(),
      lastProvider: this.lastProvider,
    };
  }

  private get settingsPath(): string {
    return path.join(this.userDataDir, SETTINGS_FILE);
  }

  async getSettings(): Promise<Settings> {
    if (this.settings) return { ...this.settings };
    let raw: unknown = {};
    try {
      raw = JSON.parse(await fsp.readFile(this.settingsPath, 'utf8'));
    } catch {
      raw = {}; // missing or damaged: defaults
    }
    this.settings = sanitizeSettings(raw, DEFAULT_SETTINGS);
    return { ...this.settings };
  }

  async setSettings(patch: Partial<Settings>): Promise<Settings> {
    const current = await this.getSettings();
    const next = sanitizeSettings({ ...current, ...(patch && typeof patch === 'object' ? patch : {}) }, current);
    this.settings = next;
    const write = async () => {
      await fsp.mkdir(this.userDataDir, { recursive: true });
      const tmp = `${this.settingsPath}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
      await fsp.writeFile(tmp, JSON.stringify(next, null, 2) + '\n');
      await fsp.rename(tmp, this.settingsPath);
    };
    this.settingsWrite = this.settingsWrite.then(write, write);
    await this.settingsWrite;
    return { ...next };
  }

  // ---- files ----

  async expandInputs(paths: string[]): Promise<string[]> {
    const files = await collectInputs(paths, { onlyImages: true });
    // a folder that cannot be read stays in the list: restoring it reports why (its photos are not silently lost)
    return files.filter((f) => !f.error || f.folder).map((f) => f.input);
  }

  async loadPreview(file: string, maxSize: number): Promise<PreviewImage> {
    const img = await decodeImage(file);
    return encodePreview(img, maxSize);
  }

  // ---- restore jobs (run one at a time, in the order started; each file's inference takes the gate) ----

  /** Runs `work` after the jobs started before it (restore and refill jobs share one queue); cancelJob aborts it. */
  private enqueue(jobId: string, work: (signal: AbortSignal) => Promise<void>): { jobId: string } {
    const controller = new AbortController();
    const run = async () => {
      try {
        await work(controller.signal);
      } finally {
        this.jobs.delete(jobId);
      }
    };
    const done = this.queue.then(run, run);
    this.queue = done;
    this.jobs.set(jobId, { controller, done });
    return { jobId };
  }

  async startRestore(req: JobRequest): Promise<{ jobId: string }> {
    const jobId = randomUUID();
    // each photo's scratch mask goes to the engine's work folder (the page never names files), so the app can show it
    const settings = this.files.withMaskSaving(req.settings, jobId);
    return this.enqueue(jobId, async (signal) => {
      try {
        await runRestoreJob({ ...req, settings }, {
          jobId,
          signal,
          sessions: this.sessions,
          gate: this.gate,
          modelsDir: this.modelsDir,
          onEvent: (event) => {
            if (event.type === 'provider') this.lastProvider = event.report;
            if (event.type === 'file-done') this.files.record(event.result, req.settings);
            this.emit({ channel: 'job', event });
          },
        });
      } catch {
        // runRestoreJob reports every file's failure itself and does not throw; should it ever, close the job
        this.emit({
          channel: 'job',
          event: { type: 'done', jobId, summary: { total: 0, ok: 0, failed: 1, skipped: 0, cancelled: 0, ms: 0 } },
        });
      }
    });
  }

  // ---- scratches: the mask a restore filled, and filling a corrected one ----

  private appPhoto(output: string) {
    const photo = this.files.photo(output);
    if (!photo) {
      throw new Error(
        `Revive has no record of what it fixed in ${path.basename(output)} (it keeps one for photos restored since it ` +
          'started, with Scratches & dust on). Restore the photo again to see and correct it.',
      );
    }
    return photo;
  }

  async loadScratchMask(output: string): Promise<PreviewImage> {
    const { maskFile } = this.appPhoto(output);
    const { width, height } = await probeImage(maskFile);
    const bytes = await fsp.readFile(maskFile);
    const size = { width, height, fullWidth: width, fullHeight: height };
    return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), mime: 'image/png', ...size };
  }

  async refillScratches(req: RefillRequest): Promise<{ jobId: string }> {
    const photo = this.appPhoto(req.output);
    if (pathKey(path.resolve(req.input)) !== pathKey(photo.input)) {
      throw new Error(`${path.basename(req.output)} is not the restore of ${path.basename(req.input)}.`);
    }
    const jobId = randomUUID();
    return this.enqueue(jobId, async (signal) => {
      const r = await runRefillJob({
        jobId,
        photo,
        mask: req.mask,
        maskFile: this.files.nextMaskFile(photo.output),
        tmpDir: this.files.tmp,
        modelsDir: this.modelsDir,
        sessions: this.sessions,
        gate: this.gate,
        signal,
        onEvent: (event) => this.emit({ channel: 'job', event }),
      });
      if (r.status === 'ok') this.files.record(r, photo.settings);
    });
  }

  async cancelJob(jobId: string): Promise<void> {
    this.jobs.get(jobId)?.controller.abort();
  }

  /** Resolves when the job (restore or refine) has finished (its 'done' event was emitted); at once for an unknown job. */
  async waitForJob(jobId: string): Promise<void> {
    const restore = this.jobs.get(jobId);
    if (restore) return restore.done;
    await this.refine?.wait(jobId).catch(() => undefined);
  }

  // ---- refine jobs (one RefineRunner; each job takes the gate for its run) ----

  private get refiner(): RefineRunner {
    if (!this.refine) throw new Error('Refine is not available in this build.');
    return this.refine;
  }

  async startRefine(req: RefineRequest): Promise<{ jobId: string }> {
    return { jobId: this.refiner.start(req) };
  }

  async getRefineResult(jobId: string): Promise<RefineRound> {
    return this.refiner.getResult(jobId);
  }

  async saveRound(roundId: string, outPath: string): Promise<string> {
    return this.refiner.saveRound(roundId, outPath);
  }

  async cancelRefine(jobId: string): Promise<void> {
    this.refine?.cancel(jobId);
  }

  /** Colour from strokes (src/core/colorize): a preview, or the full-resolution result kept as a refine round. */
  async colorize(req: ColorizeRequest): Promise<ColorizeResult> {
    this.colorizer ??= new ColorizeService(this.refiner);
    return this.colorizer.colorize(req);
  }

  /** Cancels every job, waits for them and releases the sessions. */
  async dispose(): Promise<void> {
    for (const j of this.jobs.values()) j.controller.abort();
    await Promise.all([...this.jobs.values()].map((j) => j.done.catch(() => undefined)));
    this.refine?.dispose();
    this.files.dispose();
    await this.sessions.dispose();
    this.listeners.clear();
  }
}
