// Plain data types shared by every layer: the engine's job events, the IPC contract's payloads, the manifest.
// This folder imports nothing outside itself.
import type { ToneMode } from './tone';

export type Device = 'auto' | 'cpu' | 'cuda' | 'dml' | 'webgpu';
export type Provider = 'cpu' | 'cuda' | 'dml' | 'webgpu';
export type OutputFormat = 'same' | 'png' | 'jpeg' | 'webp' | 'tiff';

export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'dml', 'webgpu'];
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['same', 'png', 'jpeg', 'webp', 'tiff'];
/** Extensions the engine reads (lower case, with dot). */
export const INPUT_EXTENSIONS: readonly string[] = [
  '.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.avif', '.gif', '.heic', '.heif',
];

/** Which execution provider a session got, and why any faster one was not used. */
export interface ProviderReport {
  requested: Device;
  used: Provider;
  fallbacks: { provider: Provider; reason: string }[];
  /** The GPU that WebGPU runs on, when used (e.g. "NVIDIA GPU (NVIDIA Vulkan driver)"). */
  adapter?: string;
  /** int8 when the CPU ran the model's quantised copy; absent = float32. */
  precision?: 'int8';
  /** Why the quantised copy was not used although one ships (its file missing or damaged). */
  precisionNote?: string;
}

export interface RestoreSettings {
  modelId?: string; // default: the manifest's default restore model
  device: Device;
  strength: number; // 0..1, blend of result over input
  tile?: number; // tile size in pixels; default from the manifest
  format: OutputFormat;
  quality: number; // 1..100 for lossy formats
  /** Per-stage settings, by stage name (src/core/restore/stages); a stage reads only its own. */
  stages?: Record<string, StageSettings>;
  /** What to do with a photo restored before into this output folder (default 'skip'): see ExistingPolicy. */
  existing?: ExistingPolicy;
}

/**
 * A photo that Revive restored before into the same output folder (its ledger, src/core/jobs/ledger.ts, says so):
 * - 'skip': skipped when the earlier output was made from this same photo (same contents) with the same settings,
 *   restored again otherwise (into a new name: never over any file);
 * - 'replace': restored again, over the earlier output Revive made from this same photo (a new name when there is
 *   none, or the file there is not Revive's);
 * - 'keep-both': restored again into a new name, the earlier output kept.
 * A file Revive did not make (no ledger record, or changed since) is never replaced, skipped or claimed.
 */
export type ExistingPolicy = 'skip' | 'replace' | 'keep-both';
export const EXISTING_POLICIES: readonly ExistingPolicy[] = ['skip', 'replace', 'keep-both'];
/** The app's names for ExistingPolicy (src/renderer): the same type and list. */
export type ExistingOutput = ExistingPolicy;
export const EXISTING_OUTPUTS = EXISTING_POLICIES;

/** The settings every restore stage understands; a stage without an entry uses its defaults. */
export interface StageSettings {
  enabled?: boolean;
  strength?: number; // 0..1
  modelId?: string;
  /** The tone stage's handling of black-and-white and toned prints (src/shared/tone.ts). */
  mode?: ToneMode;
  /** The scratch stage: how readily a pixel counts as damage, 0..1 (RANGES.scratchSensitivity). */
  sensitivity?: number;
  /** The scratch stage: fill this mask (a greyscale image of the photo's size, white = damage) instead of detecting. */
  mask?: string;
  /** The scratch stage: write the mask it filled here (a .png file, or a folder: <photo's name>.mask.png). */
  saveMask?: string;
  /** The scratch stage's fill model (the detector is modelId). */
  fillModelId?: string;
  /** The local network: add back clean grain matched to the grain it removed ("Keep film grain", src/core/restore/grain.ts). */
  keepGrain?: boolean;
  /**
   * The local network: scale its strength by how much of its change this photo needs, judged from the whole photo
   * ("Adapt to each photo", src/core/restore/amount.ts). Absent = true; false = the strength as given.
   */
  adapt?: boolean;
  /**
   * The local network: keep the photo's tones, i.e. the low-pass part of the network's change may move a pixel by at
   * most a few levels (src/core/restore/keep-tones.ts); brightness and colour over areas are the tone stage's.
   * Absent = true; false = the network's change as it is.
   */
  keepTones?: boolean;
  /**
   * The local network: the photo's amount when it is already known (a scratch refill of a crop uses the whole
   * photo's, so the crop matches the rest); engine-internal, not accepted from the page.
   */
  amount?: number;
}

/** What a stage computed once for a photo and the app may re-apply (plain JSON data, e.g. a colour mapping). */
export type StageInfo = Record<string, unknown>;

export interface JobRequest {
  inputs: string[]; // files and/or folders (folders are walked recursively)
  outDir: string;
  settings: RestoreSettings;
}

export type FileStatus = 'ok' | 'error' | 'skipped' | 'cancelled';
/**
 * Why a photo failed, for what the app offers: 'file' = the file itself cannot be used (not an image, damaged, too
 * large, missing): trying again does not help; 'engine' = anything else (memory, a model, writing the result):
 * trying again may.
 */
export type FileErrorKind = 'file' | 'engine';

export interface FileResult {
  input: string;
  output: string;
  status: FileStatus;
  ms: number;
  error?: string; // words a person understands
  errorKind?: FileErrorKind; // with status 'error'
  /** Per-stage info of a restored photo, by stage name; absent when no stage returned any. */
  info?: Record<string, StageInfo>;
  /**
   * Skipped because an identical earlier result exists: Revive made `output` from this same photo (same contents)
   * with the same settings (status 'skipped'). `output` is that earlier result's path, which may differ from the
   * name the 'start' event planned.
   */
  identical?: boolean;
  /** Written over the earlier output Revive had made from this same photo (existing: 'replace'; status 'ok'). */
  replaced?: boolean;
}

export interface JobSummary {
  total: number;
  ok: number;
  failed: number;
  skipped: number;
  cancelled: number;
  ms: number;
}

/** Everything a running restore job reports, in order. The CLI and the app consume the same events. */
export type JobEvent =
  /** kind 'refill': a corrected scratch mask filled into a restored photo (refillScratches); absent: a restore. */
  | { type: 'start'; jobId: string; files: { input: string; output: string }[]; kind?: 'restore' | 'refill' }
  | { type: 'provider'; jobId: string; report: ProviderReport }
  | { type: 'file-start'; jobId: string; index: number; input: string; output: string }
  /** The file waits for the engine's one inference slot (a refine, or another job's file, holds it). */
  | { type: 'file-waiting'; jobId: string; index: number; behind: 'refine' | 'restore' }
  | { type: 'file-progress'; jobId: string; index: number; fraction: number }
  | { type: 'file-done'; jobId: string; index: number; result: FileResult }
  | { type: 'progress'; jobId: string; done: number; total: number; fraction: number; etaMs: number | null }
  | { type: 'done'; jobId: string; summary: JobSummary };

/** SDEdit refinement of one image from the user's strokes. */
export interface RefineSettings {
  strength: number; // t0 / T, 0.2..0.8
  steps: number; // network evaluations actually run
  repeats: number; // K rounds of noise-and-denoise
  seed: number;
  eta: number; // 0 = deterministic DDIM, 1 = DDPM-like
  device: Device;
  modelId?: string; // default: the manifest's diffusion model for the device
}

/**
 * The engine runs one inference at a time (restore per file, refine per job, first come first served). A refine job
 * that has to wait says so with 'queued' (again whenever its place changes: `ahead` jobs before it, `behind` what
 * runs now) and sends 'start' when its turn comes; a job that never waited sends neither. A queued job can be
 * cancelled like a running one.
 */
export type RefineEvent =
  | { type: 'queued'; jobId: string; behind: 'refine' | 'restore'; ahead: number }
  | { type: 'start'; jobId: string }
  | { type: 'provider'; jobId: string; report: ProviderReport }
  | { type: 'step'; jobId: string; step: number; steps: number; fraction: number }
  /** The engine keeps a bounded number of rounds; this job's new round pushed these oldest ones out (before 'done'). */
  | { type: 'dropped'; jobId: string; roundIds: string[] }
  | { type: 'done'; jobId: string; ok: boolean; error?: string; cancelled?: boolean };

// ---- models/manifest.json ----


/** The kinds of model the manifest lists: the restore stages' kinds and the refine's diffusion prior. */
export type ModelKind = 'restore' | 'diffusion' | 'tone' | 'scratch' | 'fill';
export const MODEL_KINDS: readonly ModelKind[] = ['restore', 'diffusion', 'tone', 'scratch', 'fill'];

export interface ManifestModelBase {
  id: string;
  name: string;
  description?: string; // one short line for people (the app shows it under the model choice)
  file: string; // relative to the manifest's folder
  sha256: string;
  bytes: number;
  inputs: string[];
  outputs: string[];
  value_range: [number, number]; // what the network reads and writes
  size_multiple: number; // H and W must be multiples of this (pad otherwise)
  tile: number; // suggested tile size on CPU
  params: number;
  gmac_per_mp: number;
  devices?: Device[]; // devices this variant is meant for (the app picks by device); absent = all
  metrics?: Record<string, unknown>;
  /**
   * A quantised copy for the CPU provider (int8 convolutions, 7-bit weights; onnxruntime uses VNNI where the CPU has
   * it): the CPU runs it unless exact float32 arithmetic is asked for; GPUs always run `file`.
   */
  cpu_int8?: QuantisedCopy;
}

export interface QuantisedCopy {
  file: string; // relative to the manifest's folder
  sha256: string;
  bytes: number;
  metrics?: Record<string, unknown>;
}

/** `fast`: the CPU runs a model's int8 copy where one ships; `exact`: float32 everywhere. */
export type Precision = 'fast' | 'exact';

export interface RestoreModel extends ManifestModelBase {
  kind: 'restore';
  receptive_overlap: number; // tile overlap in pixels that makes tiling seamless
  /** How much of this network's change each photo needs (src/core/restore/amount.ts); absent: all of it. */
  amount?: AmountModel;
}

/**
 * A tiny regressor from a photo's statistics to the share of the restore network's change it needs (0..1), fitted
 * in training/fit_amount.py: x = (features - mean) / std, out = sigmoid(w2 . tanh(w1 x + b1) + b2).
 */
export interface AmountModel {
  features: string[]; // names, in the engine's order (AMOUNT_FEATURES)
  mean: number[];
  std: number[];
  w1: number[][]; // [hidden][features]
  b1: number[];
  w2: number[];
  b2: number;
  metrics?: Record<string, unknown>;
}

export interface DiffusionSchedule {
  type: 'ddpm-linear';
  T: number;
  beta_start: number;
  beta_end: number;
  prediction: 'epsilon';
  value_range: [number, number];
  alphas_cumprod: number[];
}

export interface DiffusionModel extends ManifestModelBase {
  kind: 'diffusion';
  schedule: DiffusionSchedule;
}

/** The tone stage's model: a thumbnail in, one global colour mapping out (src/shared/tone.ts applies it). */
export interface ToneModel extends ManifestModelBase {
  kind: 'tone';
  thumb: number; // the model reads a thumb x thumb thumbnail (adaptive average pooling of the whole photo)
  knots: number; // knots per curve
}

/** The scratch stage's detector: RGB in, one damage logit per pixel out; tiled like a restorer. */
export interface ScratchModel extends ManifestModelBase {
  kind: 'scratch';
  receptive_overlap: number;
  /** 'rot180': each window's logit is the mean of the window's and, turned back, the window turned 180 degrees'. */
  tta?: 'rot180';
}

/**
 * The mask-conditioned fill (scratch stage, refine's "mask only"): RGB and a mask in, RGB out. Its inputs are
 * ['image', 'mask'] or, for a guided fill, ['image', 'mask', 'guide'] ([1, 1, 1, 1]; 1: the mask is the detector's
 * guess, and the network may keep what is under it where it is really the photo's).
 */
export interface FillModel extends ManifestModelBase {
  kind: 'fill';
  receptive_overlap: number;
}

export type ManifestModel = RestoreModel | DiffusionModel | ToneModel | ScratchModel | FillModel;

export interface Manifest {
  version: 1;
  default_restore: string;
  default_diffusion: string;
  models: ManifestModel[];
}
