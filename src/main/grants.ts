// What the page may touch: the paths the person chose (the folder dialog, files dropped on the window or picked in
// the file dialog) and what the app made (outputs, saved rounds). Main keeps the list; the page only ever names paths,
// and a path that is on no list is refused before the engine sees the request. So a page that runs someone else's
// script cannot read an arbitrary image (loadPreview), list an arbitrary folder (expandInputs), write into one
// (startRestore, setSettings) or replace a file (saveRound), nor reveal one (showInFolder).
//
// - read grants: a dropped or picked file or folder: it and everything under it may be read (previews, inputs).
//   A dropped path is granted only when the preload reports it (GRANT_DROPPED, from webUtils.getPathForFile of a real
//   File of the drop), never because the page names it.
// - folder grants: a folder chosen in the dialog (output or input), and the output folder of the saved settings:
//   read, and new files written into it or below it.
// - created: files the app wrote in this session (restored outputs, saved rounds): read, and saveRound may replace
//   them; refillScratches may rewrite a restored output. saveRound never replaces any other existing file. (The
//   engine keeps its own files apart: the scratch masks in its work folder, src/core/app-files.ts, which the page
//   gets by output, loadScratchMask, never by path.)
// Pure Node (no electron import): main and the e2e harness both use it, through createDispatcher (dispatch.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Method } from '../shared/ipc';
import type { Settings } from '../shared/settings';
import type { JobEvent } from '../shared/types';
import { Checker, pathPlatform, ValidationError } from '../shared/validate';

/** A request for a path the page was not given: refused with words that say what to do. */
export class PermissionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermissionError';
  }
}

type Kind = 'read' | 'folder' | 'created';

export class PathGrants {
  private readonly lib: typeof path.posix;
  private readonly fold: boolean;
  private readonly grants = new Map<string, Set<Kind>>();
  private readonly checker: Checker;

  /** `platform`: process.platform (decides path syntax, and case folding on Windows and macOS). */
  constructor(
    readonly platform: string = process.platform,
    private readonly exists: (p: string) => boolean = (p) => fs.existsSync(p),
  ) {
    this.lib = platform === 'win32' ? path.win32 : path.posix;
    this.fold = platform === 'win32' || platform === 'darwin';
    this.checker = new Checker('grant', pathPlatform(platform));
  }

  private key(p: string): string {
    let k = this.lib.resolve(p);
    if (k.length > 1 && (k.endsWith('/') || (this.lib === path.win32 && k.endsWith('\\') && !/^[A-Za-z]:\\$/.test(k)))) {
      k = k.slice(0, -1);
    }
    return this.fold ? k.toLowerCase() : k;
  }

  private add(p: string, kind: Kind): void {
    const k = this.key(p);
    const set = this.grants.get(k) ?? new Set<Kind>();
    set.add(kind);
    this.grants.set(k, set);
  }

  /** The kinds granted on p itself or on a folder above it (created is never inherited). */
  private kinds(p: string): Set<Kind> {
    const out = new Set<Kind>();
    let k = this.key(p);
    const own = this.grants.get(k);
    if (own?.has('created')) out.add('created');
    for (;;) {
      for (const kind of this.grants.get(k) ?? []) if (kind !== 'created') out.add(kind);
      const up = this.lib.dirname(k);
      if (up === k) break;
      k = up;
    }
    return out;
  }

  /** A file or folder the person dropped or picked: readable, with everything under it. */
  grantRead(p: string): void {
    this.add(p, 'read');
  }

  /** A folder the person chose (dialog, or the saved output folder): readable and writable below. */
  grantFolder(p: string): void {
    this.add(p, 'folder');
  }

  /** A file the app wrote: readable, and saveRound may replace it. */
  grantCreated(p: string): void {
    this.add(p, 'created');
  }

  /**
   * What the preload reports for a dropped or picked File (webUtils.getPathForFile): granted for reading when it is a
   * well-formed path of something that exists. Returns whether it was granted.
   */
  grantDropped(p: unknown): boolean {
    try {
      const s = this.checker.path(p, 'path');
      if (!this.exists(s)) return false;
      this.grantRead(s);
      return true;
    } catch {
      return false;
    }
  }

  canRead(p: string): boolean {
    return this.kinds(p).size > 0;
  }

  /** Whether new files may be written in folder `dir` (or below it). */
  canWriteIn(dir: string): boolean {
    return this.kinds(dir).has('folder');
  }

  isCreated(p: string): boolean {
    return this.kinds(p).has('created');
  }

  private needRead(p: string, method: string): void {
    if (this.canRead(p)) return;
    throw new PermissionError(
      `Refused ${method}: Revive was not given ${JSON.stringify(p)}. Add photos by dropping them on the window or with ` +
        '"Add photos…" / "Add folder…".',
    );
  }

  private needFolder(dir: string, method: string): void {
    if (this.canWriteIn(dir)) return;
    throw new PermissionError(
      `Refused ${method}: Revive may not write into ${JSON.stringify(dir)}. Choose the output folder with "Choose…".`,
    );
  }

  /**
   * Throws a PermissionError when a request (already validated: `args` is the clean copy) names a path the page was
   * not given. Methods without paths pass.
   */
  check(method: Method, args: readonly unknown[]): void {
    switch (method) {
      case 'expandInputs':
        for (const p of args[0] as string[]) this.needRead(p, method);
        return;
      case 'loadPreview':
      case 'showInFolder':
        this.needRead(args[0] as string, method);
        return;
      case 'startRestore': {
        const req = args[0] as { inputs: string[]; outDir: string };
        for (const p of req.inputs) this.needRead(p, method);
        this.needFolder(req.outDir, method);
        return;
      }
      case 'setSettings': {
        const outDir = (args[0] as Partial<Settings>).outDir;
        if (outDir) this.needFolder(outDir, method);
        return;
      }
      case 'startRefine':
      case 'colorize': {
        const src = (args[0] as { source: { path?: string } }).source;
        if (src.path !== undefined) this.needRead(src.path, method);
        return;
      }
      case 'loadScratchMask':
        this.needRead(args[0] as string, method);
        return;
      case 'refillScratches': {
        // a corrected scratch mask rewrites an output: only one the app made, from a photo the page was given
        const req = args[0] as { input: string; output: string };
        this.needRead(req.input, method);
        if (!this.isCreated(req.output)) {
          throw new PermissionError(
            `Refused refillScratches: Revive did not make ${JSON.stringify(req.output)} in this session; it was left as it is.`,
          );
        }
        return;
      }
      case 'saveRound': {
        const out = args[1] as string;
        if (this.isCreated(out)) return;
        this.needFolder(this.lib.dirname(out), method);
        if (this.exists(out)) {
          throw new PermissionError(
            `Refused saveRound: ${JSON.stringify(out)} is already there and Revive did not make it; it was left as it is.`,
          );
        }
        return;
      }
      default:
        return;
    }
  }

  /** Grants what a reply gives the page: the chosen folder, the saved output folder, a saved round. */
  noteReply(method: Method, _args: readonly unknown[], result: unknown): void {
    if (method === 'chooseFolder' && typeof result === 'string' && result) this.grantFolder(result);
    if ((method === 'getSettings' || method === 'setSettings') && result && typeof result === 'object') {
      const outDir = (result as Partial<Settings>).outDir;
      // the settings file is the person's own (main validated every outDir written into it)
      if (typeof outDir === 'string' && outDir && this.wellFormed(outDir)) this.grantFolder(outDir);
    }
    if (method === 'saveRound' && typeof result === 'string') this.grantCreated(result);
  }

  /** Grants what the engine made: each restored output. */
  noteJobEvent(e: JobEvent): void {
    if (e.type === 'file-done' && e.result.status === 'ok' && e.result.output) this.grantCreated(e.result.output);
  }

  private wellFormed(p: string): boolean {
    try {
      this.checker.path(p, 'path');
      return true;
    } catch (e) {
      if (e instanceof ValidationError) return false;
      throw e;
    }
  }
}
