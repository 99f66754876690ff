// The photos of a batch: the files behind the paths given (folders walked recursively) and where each one's result
// goes, mirroring each folder's layout. An output that would be an input is refused.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { OutputFormat } from '../../shared/types';
import { INPUT_EXTENSIONS } from '../../shared/types';
import { pathKey, realPath } from '../fs-paths';
import { outputExtension, resolveFormat } from '../image/encode';

export interface InputFile {
  input: string; // absolute path
  rel: string; // path relative to the folder it was found in (its own name for a file given alone)
  error?: string; // set when the input cannot be used at all (missing)
}

export interface PlannedFile extends InputFile {
  output: string; // absolute path
}

export function isImagePath(p: string): boolean {
  return INPUT_EXTENSIONS.includes(path.extname(p).toLowerCase());
}

export interface CollectOptions {
  /** Folders never walked into (the output folder, when it lies inside an input folder). */
  exclude?: string[];
  /** Leave out files given explicitly whose extension is not an image's (folders always leave them out). */
  onlyImages?: boolean;
}

/**
 * The photos behind these paths: a file stands for itself; a folder for every image inside it, recursively (hidden
 * files and folders left out, sorted by path). A path that does not exist is kept with an error. Duplicates are
 * dropped (first one wins).
 */
export async function collectInputs(paths: string[], opts: CollectOptions = {}): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const seen = new Set<string>();
  const exclude = new Set((opts.exclude ?? []).map((p) => pathKey(realPath(p))));
  const add = (f: InputFile) => {
    const k = pathKey(f.error ? path.resolve(f.input) : realPath(f.input));
    if (seen.has(k)) return;
    seen.add(k);
    out.push(f);
  };
  const walk = async (dir: string, root: string, visited: Set<string>) => {
    const rd = pathKey(realPath(dir));
    if (visited.has(rd) || (dir !== root && exclude.has(rd))) return;
    visited.add(rd);
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = await fsp.stat(p).catch(() => null);
        isDir = !!st?.isDirectory();
        isFile = !!st?.isFile();
      }
      if (isDir) await walk(p, root, visited);
      else if (isFile && isImagePath(p)) add({ input: p, rel: path.relative(root, p) });
    }
  };
  for (const raw of paths) {
    const p = path.resolve(raw);
    const st = await fsp.stat(p).catch(() => null);
    if (!st) add({ input: p, rel: path.basename(p), error: `No such file or folder: ${raw}` });
    else if (st.isDirectory()) await walk(p, p, new Set());
    else if (!opts.onlyImages || isImagePath(p)) add({ input: p, rel: path.basename(p) });
  }
  return out;
}

function withDot(ext: string): string {
  return ext.startsWith('.') ? ext : `.${ext}`;
}

/**
 * Where each input's result goes: outDir + its relative path, same stem, the extension of the output format. Two
 * inputs that would land on the same file get "-2", "-3"... An output that is one of the inputs is refused (error).
 */
export function planOutputs(files: InputFile[], outDir: string, format: OutputFormat): PlannedFile[] {
  const root = path.resolve(outDir);
  const inputs = new Set(files.map((f) => pathKey(realPath(f.input))));
  const taken = new Set<string>();
  return files.map((f) => {
    const relDir = path.dirname(f.rel);
    const stem = path.basename(f.rel, path.extname(f.rel));
    let ext: string;
    try {
      ext = withDot(outputExtension(resolveFormat(f.input, format)));
    } catch {
      ext = path.extname(f.rel) || '.png';
    }
    let output = path.join(root, relDir, stem + ext);
    for (let n = 2; taken.has(pathKey(output)); n++) output = path.join(root, relDir, `${stem}-${n}${ext}`);
    taken.add(pathKey(output));
    const planned: PlannedFile = { ...f, output };
    if (!f.error && (inputs.has(pathKey(realPath(output))) || inputs.has(pathKey(path.resolve(output))))) {
      planned.error = `Refused: the output ${output} would overwrite an original. Choose another output folder.`;
    }
    return planned;
  });
}
