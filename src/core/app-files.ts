// The files the app itself created, in one place: the engine's work folder (masks of what each restore filled; refine
// rounds live beside it in the same temp root) and which restored output each mask belongs to. The page never names
// files for the engine to write: the engine decides where its masks go (withMaskSaving), remembers them by output
// (record), and answers only for outputs it wrote in this session (photo). owns() says whether a path is one of the
// app's own files (for path capabilities: what the page may ask to read without having chosen it).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileResult, RestoreSettings } from '../shared/types';
import { pathKey } from './fs-paths';

/** A restored photo the engine wrote in this session, with the scratch mask it filled. */
export interface AppPhoto {
  input: string;
  output: string;
  maskFile: string;
  /** The settings it was restored with (a refill recomputes with the same ones). */
  settings: RestoreSettings;
}

export class AppFiles {
  private folder: string | null = null;
  private readonly photos = new Map<string, AppPhoto>(); // pathKey(output) -> photo

  /** @param tmpRoot where the work folder is made (default: the OS's temp folder, like refine's rounds) */
  constructor(readonly tmpRoot: string = os.tmpdir()) {}

  /** The work folder, made on first use. */
  get dir(): string {
    this.folder ??= fs.mkdtempSync(path.join(this.tmpRoot, 'revive-work-'));
    return this.folder;
  }

  /** A restore job's settings with its scratch masks saved in the work folder (one folder per job). */
  withMaskSaving(settings: RestoreSettings, jobId: string): RestoreSettings {
    const own = settings.stages?.scratches ?? {};
    if (own.enabled === false) return settings;
    const saveMask = path.join(this.dir, 'masks', jobId);
    return { ...settings, stages: { ...settings.stages, scratches: { ...own, saveMask } } };
  }

  /** Remembers a restored photo's mask (a 'file-done' result whose scratch info names one in the work folder). */
  record(result: FileResult, settings: RestoreSettings): void {
    const maskFile = (result.info?.scratches as { maskFile?: unknown } | undefined)?.maskFile;
    if (result.status !== 'ok' || typeof maskFile !== 'string' || !this.owns(maskFile)) return;
    const key = pathKey(path.resolve(result.output));
    const old = this.photos.get(key);
    if (old && old.maskFile !== maskFile) fs.rmSync(old.maskFile, { force: true });
    this.photos.set(key, { input: path.resolve(result.input), output: path.resolve(result.output), maskFile, settings });
  }

  /** The photo behind an output the engine restored in this session, or null. */
  photo(output: string): AppPhoto | null {
    return this.photos.get(pathKey(path.resolve(output))) ?? null;
  }

  /** Where the next mask of an output goes (a new file each time, so a mask on screen is never rewritten under it). */
  nextMaskFile(output: string): string {
    return path.join(this.dir, 'masks', 'refill', `${path.basename(output)}.${randomUUID().slice(0, 8)}.mask.png`);
  }

  /** A folder for short-lived files (a refill's crop mask). */
  get tmp(): string {
    const d = path.join(this.dir, 'tmp');
    fs.mkdirSync(d, { recursive: true });
    return d;
  }

  /** Whether `p` is one of the app's own files (inside the work folder). */
  owns(p: string): boolean {
    if (!this.folder) return false;
    const rel = path.relative(pathKey(this.folder), pathKey(path.resolve(p)));
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  }

  /** Removes the work folder and forgets every photo. */
  dispose(): void {
    this.photos.clear();
    if (this.folder) fs.rmSync(this.folder, { recursive: true, force: true });
    this.folder = null;
  }
}
