// The restore of one photo as a pipeline: the decoded full-resolution image goes through every enabled stage of
// STAGES (./stages) in order; the job loop (src/core/jobs/batch.ts) decodes before and encodes after. Models are
// loaded once per job, on the first photo; a load failure fails every photo of the job with the same message.
import type { ProviderReport, RestoreSettings, StageInfo, StageSettings } from '../../shared/types';
import type { SessionCache } from '../inference/session';
import { downscalePlanar, type PixelImage, type PlanarImage } from '../image/planar';
import { loadManifest } from '../models/manifest';
import { STAGES, type LoadedStage, type Stage } from './stages';

export interface PipelineOptions {
  settings: RestoreSettings;
  modelsDir: string;
  sessions: SessionCache;
  /** Default: STAGES. */
  stages?: readonly Stage[];
  /** Each loaded stage's provider report, in stage order. */
  onProvider?: (report: ProviderReport, stage: string) => void;
}

export interface PhotoRun {
  input: string;
  signal?: AbortSignal;
  /** The photo's progress through all stages, 0..1 (each stage's share by its weight). */
  onProgress?: (fraction: number) => void;
}

export interface PipelineResult<I extends PixelImage> {
  image: I;
  /** By stage name; absent when no stage returned info. */
  info?: Record<string, StageInfo>;
  inferenceMs: number;
  tiles: number;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message || e.name : String(e);
}

export class RestorePipeline {
  private loaded: { stage: Stage; runner: LoadedStage }[] | null = null;
  private loadError: string | null = null;

  constructor(private readonly opts: PipelineOptions) {}

  private own(stage: Stage): StageSettings {
    return this.opts.settings.stages?.[stage.name] ?? {};
  }

  /** Loads every enabled stage's model (once; later calls return at once, or throw the first failure again). */
  async load(): Promise<void> {
    if (this.loaded) return;
    if (this.loadError !== null) throw new Error(this.loadError);
    try {
      const { settings, modelsDir, sessions } = this.opts;
      const manifest = await loadManifest(modelsDir);
      const loaded: { stage: Stage; runner: LoadedStage }[] = [];
      for (const stage of this.opts.stages ?? STAGES) {
        const own = this.own(stage);
        if (!stage.enabled(settings, own)) continue;
        const runner = await stage.load({ settings, own, modelsDir, manifest, sessions });
        if (runner.report) this.opts.onProvider?.(runner.report, stage.name);
        loaded.push({ stage, runner });
      }
      this.loaded = loaded;
    } catch (e) {
      this.loadError = message(e);
      throw e;
    }
  }

  /** Runs the loaded stages on one photo (load() first). The input image is not changed. */
  async run<I extends PixelImage>(img: I, photo: PhotoRun): Promise<PipelineResult<I>> {
    await this.load();
    const stages = this.loaded ?? [];
    const total = stages.reduce((s, x) => s + x.stage.weight, 0) || 1;
    const thumbs = new Map<number, PlanarImage>();
    const source = img;
    const thumbnail = (maxSide: number) => {
      let t = thumbs.get(maxSide);
      if (!t) thumbs.set(maxSide, (t = downscalePlanar(source, maxSide)));
      return t;
    };
    let image = img;
    let before = 0;
    let inferenceMs = 0;
    let tiles = 0;
    let info: Record<string, StageInfo> | undefined;
    for (const { stage, runner } of stages) {
      const share = stage.weight / total;
      const start = before;
      const out = await runner.run(image, {
        input: photo.input,
        thumbnail,
        signal: photo.signal,
        onProgress: (fr) => photo.onProgress?.(start + share * Math.min(1, Math.max(0, fr))),
        onReport: (report) => this.opts.onProvider?.(report, stage.name),
      });
      image = out.image;
      inferenceMs += out.inferenceMs ?? 0;
      tiles += out.tiles ?? 0;
      if (out.info) (info ??= {})[stage.name] = out.info;
      before += share;
    }
    return { image, ...(info ? { info } : {}), inferenceMs, tiles };
  }
}
