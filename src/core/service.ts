// EngineService: the engine side of ReviveApi (everything but getPathForFile, chooseFolder and showInFolder).
// Plain Node only: the Electron utility process hosts one, the e2e harness and the tests use one directly.
// Events go to listeners registered with on() (both kinds) or onJobEvent()/onRefineEvent().
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AppInfo, ColorizeRequest, ColorizeResult, ModelInfo, PreviewImage, RefineRequest, RefineRound } from '../shared/api';
import { DEFAULT_SETTINGS, sanitizeSettings, type Settings } from '../shared/settings';
import type { JobEvent, JobRequest, ProviderReport, RefineEvent } from '../shared/types';
import { decodeImage } from './image/decode';
import { encodePreview } from './image/encode';
import { InferenceGate } from './inference/gate';
import { availableProviders, SessionCache } from './inference/session';
import { collectInputs, runRestoreJob } from './jobs/batch';
import { checkModels, loadManifest } from './models/manifest';
import { refineServiceFactory } from './refine';

/** One message of the engine: which stream (the EV channel names' tail) and the event. */
export type EngineMessage = { channel: 'job'; event: JobEvent } | { channel: 'refine'; event: RefineEvent };
export type EngineListener = (m: EngineMessage) => void;

/** What a refine backend gets from the service. */
export interface RefineHost {
  modelsDir: string;
  userDataDir: string;
  sessions: SessionCache;
  /** The engine's one-inference-at-a-time gate, shared with restore: refine jobs take it for their run. */
  gate: InferenceGate;
  emit(e: RefineEvent): void;
  /** Records the provider a refine job got, for getInfo().lastProvider. */
  setLastProvider(r: ProviderReport): void;
  getSettings(): Promise<Settings>;
}

/** The SDEdit side of the API (src/core/refine provides one). */
export interface RefineRunner {
  startRefine(req: RefineRequest): Promise<{ jobId: string }>;
  getRefineResult(jobId: string): Promise<RefineRound>;
  saveRound(roundId: string, outPath: string): Promise<string>;
  cancelRefine(jobId: string): Promise<void>;
  /** Colour from strokes (src/core/colorize); its full-resolution results are rounds like refine's. */
  colorize(req: ColorizeRequest): Promise<ColorizeResult>;
  dispose?(): Promise<void> | void;
}

export type RefineRunnerFactory = (host: RefineHost) => RefineRunner;

/** The refine backend used when the constructor is given none. src/core/refine plugs its factory in here. */
const defaultRefineFactory: RefineRunnerFactory | null = refineServiceFactory;

const refineUnavailable: RefineRunner = {
  startRefine: () => Promise.reject(new Error('Refine is not available in this build.')),
  getRefineResult: () => Promise.reject(new Error('Refine is not available in this build.')),
  saveRound: () => Promise.reject(new Error('Refine is not available in this build.')),
  cancelRefine: () => Promise.resolve(),
  colorize: () => Promise.reject(new Error('Refine is not available in this build.')),
};

export interface EngineServiceOptions {
  modelsDir: string;
  userDataDir: string;
  /** App version for getInfo; default: the version in the package.json above modelsDir, else '0.0.0'. */
  version?: string;
  /** Shared session cache (default: a new one). */
  sessions?: SessionCache;
  /** The refine backend (default: src/core/refine's); null = none (refine calls reject). */
  refine?: RefineRunnerFactory | null;
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
  private readonly refine: RefineRunner;

  constructor(opts: EngineServiceOptions) {
    this.modelsDir = path.resolve(opts.modelsDir);
    this.userDataDir = path.resolve(opts.userDataDir);
    this.sessions = opts.sessions ?? new SessionCache();
    this.version = opts.version ?? findVersion(path.dirname(this.modelsDir));
    const factory = opts.refine === undefined ? defaultRefineFactory : opts.refine;
    this.refine = factory
      ? factory({
          modelsDir: this.modelsDir,
          userDataDir: this.userDataDir,
          sessions: this.sessions,
          gate: this.gate,
          emit: (event) => this.emit({ channel: 'refine', event }),
          setLastProvider: (r) => {
            this.lastProvider = r;
          },
          getSettings: () => this.getSettings(),
        })
      : refineUnavailable;
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
    return files.filter((f) => !f.error).map((f) => f.input);
  }

  async loadPreview(file: string, maxSize: number): Promise<PreviewImage> {
    const img = await decodeImage(file);
    return encodePreview(img, maxSize);
  }

  // ---- restore jobs (run one at a time, in the order started; each file's inference takes the gate) ----

  async startRestore(req: JobRequest): Promise<{ jobId: string }> {
    const jobId = randomUUID();
    const controller = new AbortController();
    const run = async () => {
      try {
        await runRestoreJob(req, {
          jobId,
          signal: controller.signal,
          sessions: this.sessions,
          gate: this.gate,
          modelsDir: this.modelsDir,
          onEvent: (event) => {
            if (event.type === 'provider') this.lastProvider = event.report;
            this.emit({ channel: 'job', event });
          },
        });
      } catch {
        // runRestoreJob reports every file's failure itself and does not throw; should it ever, close the job
        this.emit({
          channel: 'job',
          event: { type: 'done', jobId, summary: { total: 0, ok: 0, failed: 1, skipped: 0, cancelled: 0, ms: 0 } },
        });
      } finally {
        this.jobs.delete(jobId);
      }
    };
    const done = this.queue.then(run, run);
    this.queue = done;
    this.jobs.set(jobId, { controller, done });
    return { jobId };
  }

  async cancelJob(jobId: string): Promise<void> {
    this.jobs.get(jobId)?.controller.abort();
  }

  /** Resolves when the job has finished (its 'done' event was emitted); at once for an unknown job. */
  async waitForJob(jobId: string): Promise<void> {
    await this.jobs.get(jobId)?.done;
  }

  // ---- refine (delegated to the RefineRunner) ----

  startRefine(req: RefineRequest): Promise<{ jobId: string }> {
    return this.refine.startRefine(req);
  }

  getRefineResult(jobId: string): Promise<RefineRound> {
    return this.refine.getRefineResult(jobId);
  }

  saveRound(roundId: string, outPath: string): Promise<string> {
    return this.refine.saveRound(roundId, outPath);
  }

  cancelRefine(jobId: string): Promise<void> {
    return this.refine.cancelRefine(jobId);
  }

  colorize(req: ColorizeRequest): Promise<ColorizeResult> {
    return this.refine.colorize(req);
  }

  /** Cancels every job, waits for them and releases the sessions. */
  async dispose(): Promise<void> {
    for (const j of this.jobs.values()) j.controller.abort();
    await Promise.all([...this.jobs.values()].map((j) => j.done.catch(() => undefined)));
    await this.refine.dispose?.();
    await this.sessions.dispose();
    this.listeners.clear();
  }
}
