// The contract of one restore stage. A restore is decode -> stages, in the order of STAGES (./index.ts) -> encode;
// each stage is one module here that implements Stage, so adding a stage is adding a module and one line to STAGES,
// never editing the job loop (src/core/jobs/batch.ts) or the pipeline (../pipeline.ts).
import type { Manifest, ModelKind, ProviderReport, RestoreSettings, StageInfo, StageSettings } from '../../../shared/types';
import type { SessionCache } from '../../inference/session';
import type { PixelImage, PlanarImage } from '../../image/planar';

/** What a stage gets once per job, to load its model: the job's settings, the manifest, the session cache. */
export interface StageJob {
  settings: RestoreSettings;
  /** This stage's own settings (`settings.stages[stage.name]`, {} when absent). */
  own: StageSettings;
  modelsDir: string;
  manifest: Manifest;
  sessions: SessionCache;
}

/** What a stage gets per photo, besides the full-resolution image. */
export interface PhotoContext {
  /** The photo's path (for messages). */
  input: string;
  /**
   * The photo as it came out of decode, downscaled (area average) so its longer side is at most `maxSide`, planar
   * float [0, 1]. Computed on first use and shared by every stage that asks for the same size.
   */
  thumbnail(maxSide: number): PlanarImage;
  signal?: AbortSignal;
  /** This stage's progress, 0..1 (the pipeline maps it into the photo's share). */
  onProgress(fraction: number): void;
  /** The stage had to change provider or tile size mid-job (e.g. a GPU out of memory): the new report. */
  onReport?(report: ProviderReport): void;
}

/** What a stage returns for one photo. */
export interface StageOutput<I extends PixelImage> {
  /** The stage's result: the input's size, depth, alpha and metadata. May be the input itself (a no-op). */
  image: I;
  /**
   * What the stage computed once for this photo and the app may re-apply (e.g. a global colour mapping found on the
   * thumbnail); plain JSON-ready data. Reported in FileResult.info[stage.name].
   */
  info?: StageInfo;
  /** Time spent inside session.run (benchmark split). */
  inferenceMs?: number;
  /** Network evaluations (tiles) run. */
  tiles?: number;
}

/** A stage with its model loaded for one job; run() is called once per photo. */
export interface LoadedStage {
  /** The execution provider its session got (reported to the app as a 'provider' event). */
  report?: ProviderReport;
  run<I extends PixelImage>(img: I, photo: PhotoContext): Promise<StageOutput<I>>;
}

export interface Stage {
  /** Unique, stable; the key of its settings (RestoreSettings.stages) and of its info (FileResult.info). */
  readonly name: string;
  /** The manifest model kind the stage runs (null for a stage without a model). */
  readonly kind: ModelKind | null;
  /** Relative share of a photo's progress bar (the local network is 1). */
  readonly weight: number;
  /** Whether this job runs the stage (a disabled stage is not loaded and not run). */
  enabled(settings: RestoreSettings, own: StageSettings): boolean;
  /** Once per job, before the first photo: load the model. A throw fails every photo of the job with its message. */
  load(job: StageJob): Promise<LoadedStage>;
}
