// The typed API the preload exposes as `window.revive`. Its request methods, their channels, validators and the side
// serving each are the IPC table of ./ipc.ts; main validates every payload with it before calling the engine; the
// e2e harness implements the same interface over the real engine, so the renderer is tested against this contract.
import type { Device, JobEvent, JobRequest, ModelKind, ProviderReport, RefineEvent, RefineSettings, RestoreSettings } from './types';
import type { Settings } from './settings';

export interface ModelInfo {
  id: string;
  kind: ModelKind;
  name: string;
  /** A short description for people (the manifest's optional `description`). */
  description?: string;
  sha256Ok: boolean;
  error?: string;
}

export interface AppInfo {
  version: string;
  models: ModelInfo[];
  /** The manifest's default_restore: the restore model used when none is chosen ('' when the manifest is unreadable). */
  defaultRestore: string;
  providers: string[]; // execution providers this build can try, e.g. ['cpu', 'cuda']
  lastProvider: ProviderReport | null;
}

/** An image prepared for display: encoded bytes (PNG or JPEG) the renderer turns into a blob: URL. */
export interface PreviewImage {
  bytes: Uint8Array;
  mime: 'image/png' | 'image/jpeg';
  width: number; // of the preview
  height: number;
  fullWidth: number; // of the original file, after EXIF orientation
  fullHeight: number;
}

export interface RefineRequest {
  /** The photo being refined: a file path, or the id of an earlier round's result. */
  source: { path: string } | { roundId: string };
  /** RGBA PNG the size of the photo: painted pixels where alpha > 0. */
  strokes: Uint8Array;
  /** Optional greyscale/RGBA PNG mask (white or alpha > 0 = may change); defaults to the strokes. */
  mask?: Uint8Array;
  settings: RefineSettings;
}

/** Colour from strokes (src/core/colorize): a quick preview while painting, or the full-resolution result as a round. */
export interface ColorizeRequest {
  /** The photo being coloured: a file path, or the id of an earlier round's result. */
  source: { path: string } | { roundId: string };
  /**
   * RGBA PNG: painted pixels where alpha > 0, in the colour wanted. The photo's size, or (with previewSize) any size
   * of the photo's shape, scaled to the preview.
   */
  strokes: Uint8Array;
  /** Colour the photo scaled to fit this size, for a quick look; no round is kept. Absent: full resolution, a new round. */
  previewSize?: number;
}

export interface ColorizeResult {
  /** The new round (full resolution only); saved with saveRound, refined further like any round. */
  roundId?: string;
  preview: PreviewImage;
  /** Rounds the engine let go of to stay within its bound (as RefineEvent 'dropped'). */
  dropped?: string[];
}

/**
 * Fill a corrected scratch mask again (after a restore, the person added or erased marks): only the area around the
 * changed marks is recomputed (with the settings that restore used), and the output the restore wrote is updated in
 * place. A job: its events come on the job stream ('start' says kind 'refill'), cancelled with cancelJob; the
 * result's info.scratches is the new mask's.
 */
export interface RefillRequest {
  /** The original photo and the output the engine restored it to in this session. */
  input: string;
  output: string;
  /** The corrected mask: a PNG the size of the photo, white (or opaque light) = fill. */
  mask: Uint8Array;
}

export interface RefineRound {
  roundId: string;
  preview: PreviewImage; // full resolution, for the comparison view
}

/** What the app's menu asks the page to do (main sends one on EV.command; the page's keyboard shortcuts do the same). */
export const APP_COMMANDS = [
  'add-photos',
  'add-folder',
  'restore',
  'remove',
  'undo',
  'redo',
  'mode-restore',
  'mode-refine',
  'side-by-side',
  'shortcuts',
] as const;
export type AppCommand = (typeof APP_COMMANDS)[number];

export interface ReviveApi {
  /** Real filesystem path of a dropped File (webUtils.getPathForFile in the preload). */
  getPathForFile(file: File): string;
  getInfo(): Promise<AppInfo>;
  getSettings(): Promise<Settings>;
  setSettings(patch: Partial<Settings>): Promise<Settings>;
  chooseFolder(): Promise<string | null>;
  /** Files the engine would process for these paths (folders walked recursively, non-images left out). */
  expandInputs(paths: string[]): Promise<string[]>;
  loadPreview(path: string, maxSize: number): Promise<PreviewImage>;
  startRestore(req: JobRequest): Promise<{ jobId: string }>;
  cancelJob(jobId: string): Promise<void>;
  onJobEvent(cb: (e: JobEvent) => void): () => void;
  startRefine(req: RefineRequest): Promise<{ jobId: string }>;
  /** The result of a finished refine job, as a new round. */
  getRefineResult(jobId: string): Promise<RefineRound>;
  /** Save a round's image to a file (atomic; never over the original). */
  saveRound(roundId: string, outPath: string): Promise<string>;
  cancelRefine(jobId: string): Promise<void>;
  onRefineEvent(cb: (e: RefineEvent) => void): () => void;
  /** The menu's commands (main's application menu: File, Edit, View, Help). */
  onCommand(cb: (c: AppCommand) => void): () => void;
  /** Colours the photo from strokes: a preview (previewSize) or the full-resolution result as a new round. */
  colorize(req: ColorizeRequest): Promise<ColorizeResult>;
  /** Fills a corrected scratch mask into a restored photo, recomputing only what changed (a job on the job stream). */
  refillScratches(req: RefillRequest): Promise<{ jobId: string }>;
  /**
   * The scratch mask a restored photo was filled with (white = filled), full resolution, lossless (PNG), for the
   * page to show over the result and edit. Only for outputs the engine restored in this session.
   */
  loadScratchMask(output: string): Promise<PreviewImage>;
  showInFolder(path: string): Promise<void>;
  /**
   * Tells main what closing or reloading the window would lose, in words (null = nothing), so the "Leave Revive?"
   * dialog it shows on will-prevent-unload can say so. The page sends it whenever it changes.
   */
  setUnsavedWork(summary: string | null): Promise<void>;
}

/** The channels: one per request method (its row in the IPC table of ./ipc.ts), and the event streams. */
export { CH, EV } from './ipc';

export type { Device, JobEvent, JobRequest, RefineEvent, RefineSettings, RestoreSettings, Settings };
