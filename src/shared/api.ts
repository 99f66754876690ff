// The typed API the preload exposes as `window.revive`, and the IPC channels behind it.
// Main validates every payload with ./validate before calling the engine; the e2e harness implements the same
// interface over the real engine, so the renderer is tested against exactly this contract.
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

export interface RefineRound {
  roundId: string;
  preview: PreviewImage; // full resolution, for the comparison view
}

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
  showInFolder(path: string): Promise<void>;
  /**
   * Tells main what closing or reloading the window would lose, in words (null = nothing), so the "Leave Revive?"
   * dialog it shows on will-prevent-unload can say so. The page sends it whenever it changes.
   */
  setUnsavedWork(summary: string | null): Promise<void>;
}

/** invoke channels (renderer -> main), one per request method. */
export const CH = {
  getInfo: 'revive:get-info',
  getSettings: 'revive:get-settings',
  setSettings: 'revive:set-settings',
  chooseFolder: 'revive:choose-folder',
  expandInputs: 'revive:expand-inputs',
  loadPreview: 'revive:load-preview',
  startRestore: 'revive:start-restore',
  cancelJob: 'revive:cancel-job',
  startRefine: 'revive:start-refine',
  getRefineResult: 'revive:get-refine-result',
  saveRound: 'revive:save-round',
  cancelRefine: 'revive:cancel-refine',
  showInFolder: 'revive:show-in-folder',
  setUnsavedWork: 'revive:set-unsaved-work',
} as const;

/** event channels (main -> renderer). */
export const EV = {
  job: 'revive:job-event',
  refine: 'revive:refine-event',
} as const;

export type { Device, JobEvent, JobRequest, RefineEvent, RefineSettings, RestoreSettings, Settings };
