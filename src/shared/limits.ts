// Every limit and default of a setting, in one place: the CLI's option checks, the IPC validation (./validate), the
// persisted settings (./settings), the app's controls and the engine's own checks all read these. Change a range here
// and every layer follows. Pure data; imports nothing.

/** A number a person or a request sets: its range, whether it must be whole, and the default. */
export interface Range {
  readonly min: number;
  readonly max: number;
  readonly int: boolean;
  readonly default: number;
}

const range = (min: number, max: number, int: boolean, def: number): Range => ({ min, max, int, default: def });

/** The largest side of an image the engine opens (and so the largest tile or preview): 16384 px. */
export const MAX_SIDE = 16384;

export const RANGES = {
  /** 1..100 for lossy output formats (JPEG, WebP, AVIF). */
  quality: range(1, 100, true, 92),
  /** Restore strength: 0 = the input unchanged, 1 = the network's output (also each stage's strength). */
  strength: range(0, 1, false, 1),
  /** Tile size in pixels (a request's; 0 in the settings means the model's suggestion). */
  tile: range(16, MAX_SIDE, true, 0),
  /** Longest side of a preview the engine encodes for the app (default: the photo at full resolution). */
  preview: range(16, MAX_SIDE, true, MAX_SIDE),
  /**
   * The tone-and-colour stage's strength: 0 = the print's own tones, 1 = the learned mapping in full. Off by default:
   * tone-v1 gains +7 dB on faded prints but misreads a few clean photos (docs/training/tone.md), so it is the
   * person's choice, previewed live, until a model leaves clean photos alone.
   */
  toneStrength: range(0, 1, false, 0),
  /**
   * The scratch stage's sensitivity: 0 marks only what the detector is sure of, 1 marks everything it suspects; the
   * default 0.5 is the threshold the detector was trained and measured at (docs/training/scratches.md).
   */
  scratchSensitivity: range(0, 1, false, 0.5),
  /** SDEdit strength: t0 = strength x T. */
  // default 0.3 with eta 1, from bench/refine/repair.ts on 24 validation photos (docs/refine.md): against 0.5 with
  // eta 0, the repaired area keeps its colour (3.0 vs 5.7 levels), grows far less confetti (10 vs 17 of 48 areas
  // with twice the photo's texture) and is 3.5 dB closer to the photo
  refineStrength: range(0.2, 0.8, false, 0.3),
  /** Network evaluations per repeat the engine accepts. */
  refineSteps: range(1, 1000, true, 20),
  /** Network evaluations per repeat the app's setting offers (a refine from the app stays interactive). */
  refineStepsSetting: range(1, 100, true, 20),
  refineRepeats: range(1, 10, true, 1),
  /** RePaint-style resamplings of each refine step (0 = plain SDEdit). */
  refineJumps: range(0, 10, true, 0),
  /** A refine's random seed: the same seed gives the same pixels (the app draws one in [0, 2^31)). */
  seed: range(0, 2 ** 32 - 1, true, 0),
  /** 0 = deterministic DDIM, 1 = DDPM-like. */
  eta: range(0, 1, false, 1),
  /** CPU threads for inference (0 = all cores, the default). */
  threads: range(1, 1024, true, 0),
} as const satisfies Record<string, Range>;

export type RangeName = keyof typeof RANGES;

/** Sizes of requests (not settings): what main refuses before the engine sees it. */
export const LIMITS = {
  /** Characters of one path (Windows' long-path limit). */
  pathLength: 32_767,
  /** UTF-8 bytes of one path (Linux's PATH_MAX; macOS allows 1024, Windows' long paths a little more in UTF-16). */
  pathBytes: 4096,
  /** Paths in one request (a restore's inputs, the paths to expand). */
  inputs: 100_000,
  /** UTF-8 bytes of all the paths of one request together. */
  requestPathBytes: 32 * 1024 * 1024,
  idLength: 128,
  /** Entries of RestoreSettings.stages. */
  stages: 16,
  /** The words of setUnsavedWork (what leaving would lose; a dialog's detail): the longest text a dialog shows. */
  summaryLength: 4000,
  /** Strokes and mask PNGs (bytes). */
  imageBytes: 512 * 1024 * 1024,
} as const;

/** A job, round or stage id: letters, digits, "-" and "_". */
export const ID_RE = /^[A-Za-z0-9_-]{1,128}$/;
/** A model id (the manifest's ids): letters, digits, ".", "-" and "_". */
export const MODEL_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** Whether v is a number inside the range (and whole where it must be). */
export function inRange(r: Range, v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= r.min && v <= r.max && (!r.int || Number.isInteger(v));
}

/** v clamped into the range (rounded where it must be whole); not a finite number: `fallback`. */
export function clampTo(r: Range, v: unknown, fallback: number = r.default): number {
  const n = typeof v === 'number' && Number.isFinite(v) ? v : fallback;
  const c = Math.min(r.max, Math.max(r.min, n));
  return r.int ? Math.round(c) : c;
}

/** "a whole number from 1 to 100" / "a number from 0.2 to 0.8": how messages say a range. */
export function describeRange(r: Range): string {
  return `${r.int ? 'a whole number' : 'a number'} from ${r.min} to ${r.max}`;
}
