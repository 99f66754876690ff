// The photos of a batch: the files behind the paths given (folders walked recursively) and where each one's result
// goes, mirroring each folder's layout. An output that would be an input is refused.
//
// Output names (planOutputs): a photo's output keeps its name with the output format's extension ("a.jpg" -> "a.jpg",
// "b.gif" -> "b.png"). When several photos that land in one output folder share a stem (a.jpg, a.png, a.tif; b.gif
// and b.png; c.jpeg and c.jpg), each of them gets its own extension in brackets: "a (jpg).jpg", "a (png).png",
// "a (tif).tif", "b (gif).png", "b (png).png", "c (jpeg).jpg", "c (jpg).jpg". Should two still clash (the same name
// in two folders given, or names that differ only in case), each gets the first 6 hex digits of its path's SHA-256
// too: "a (jpg 3f09c2).jpg". The rule looks only at the set of photos, never at their order, so the names are the
// same on every run over the same photos; names are cut (at a character) to fit the file system's 255 bytes.
import { createHash } from 'node:crypto';
import { type Dirent, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { OutputFormat } from '../../shared/types';
import { INPUT_EXTENSIONS } from '../../shared/types';
import { bytesOfName, displayName, fsPath, nameFromBytes, pathKey, realPath } from '../fs-paths';
import { outputExtension, resolveFormat, truncateUtf8 } from '../image/encode';
import { isReviveOutput, LEDGER_DIR, outputKeys } from './ledger';

export interface InputFile {
  input: string; // absolute path (bytes that are not UTF-8 escaped: src/core/fs-paths.ts)
  rel: string; // path relative to the folder it was found in (its own name for a file given alone)
  error?: string; // set when the input cannot be used at all (missing, an unreadable folder)
  /** A folder that could not be listed (with its error): reported as one result of the job. */
  folder?: boolean;
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
  /** Keep files that a folder's ledger says Revive wrote there (left out by default: outputs are not inputs). */
  keepOutputs?: boolean;
}

/** Why a folder could not be listed, in words. */
function folderError(dir: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOENT'
        ? 'it is gone'
        : code === 'EIO'
          ? 'the disk reported an error'
          : (e as Error)?.message || String(e);
  return `Cannot read the folder ${displayName(dir)} (${why}): the photos in it were left out.`;
}

/** A folder's entries with their names: read as bytes (kept exactly, src/core/fs-paths.ts), as UTF-16 on Windows. */
async function listFolder(dir: string): Promise<{ e: Dirent<string> | Dirent<Buffer>; name: string }[]> {
  if (process.platform === 'win32') return (await fsp.readdir(dir, { withFileTypes: true })).map((e) => ({ e, name: e.name }));
  const entries = await fsp.readdir(fsPath(dir), { withFileTypes: true, encoding: 'buffer' });
  return entries.map((e) => ({ e, name: nameFromBytes(e.name) }));
}

/**
 * The photos behind these paths: a file stands for itself; a folder for every image inside it, recursively (hidden
 * files and folders left out, sorted by name, outputs Revive wrote there left out). A path that does not exist, and
 * a folder inside that cannot be read, are kept with an error. Duplicates are dropped (first one wins). Names are read
 * as bytes, so a name that is not UTF-8 is found and kept exactly (src/core/fs-paths.ts).
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
    let named: { e: Dirent<string> | Dirent<Buffer>; name: string }[];
    try {
      named = await listFolder(dir);
    } catch (e) {
      add({ input: dir, rel: path.relative(root, dir) || path.basename(dir), error: folderError(dir, e), folder: true });
      return;
    }
    named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const hasLedger = !opts.keepOutputs && named.some((x) => x.name === LEDGER_DIR && x.e.isDirectory());
    const keys = hasLedger ? await outputKeys(dir) : null;
    for (const { e, name } of named) {
      if (name.startsWith('.')) continue;
      const p = path.join(dir, name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      // a symlink, or a file system that does not give entry types (some network ones): ask the file itself
      const known = isDir || isFile || e.isFIFO() || e.isSocket() || e.isBlockDevice() || e.isCharacterDevice();
      if (e.isSymbolicLink() || !known) {
        const st = await fsp.stat(fsPath(p)).catch(() => null);
        isDir = !!st?.isDirectory();
        isFile = !!st?.isFile();
      }
      if (isDir) await walk(p, root, visited);
      else if (isFile && isImagePath(name)) {
        if (keys?.size && (await isReviveOutput(dir, name, keys))) continue;
        add({ input: p, rel: path.relative(root, p) });
      }
    }
  };
  for (const raw of paths) {
    const p = path.resolve(raw);
    const st = await fsp.stat(fsPath(p)).catch(() => null);
    if (!st) add({ input: p, rel: path.basename(p), error: `No such file or folder: ${raw}` });
    else if (st.isDirectory()) await walk(p, p, new Set());
    else if (!opts.onlyImages || isImagePath(p)) add({ input: p, rel: path.basename(p) });
  }
  return out;
}

function withDot(ext: string): string {
  return ext.startsWith('.') ? ext : `.${ext}`;
}

/** The most bytes a file name may have (every file system Revive writes to). */
export const NAME_MAX = 255;

/** `stem` + `tail`, the stem cut (at a character) so that the whole name fits NAME_MAX bytes. */
export function fitName(stem: string, tail: string): string {
  return truncateUtf8(stem, NAME_MAX - Buffer.byteLength(tail)) + tail;
}

/** The name of the n-th output of a planned name when the first is taken: "a (jpg).jpg" -> "a (jpg)-2.jpg". */
export function numberedName(name: string, n: number): string {
  const ext = path.extname(name);
  return n < 2 ? name : fitName(name.slice(0, name.length - ext.length), `-${n}${ext}`);
}

/** Stable split of a batch over `count` workers: whether the photo at this relative path is worker `index`'s. */
export function inShard(rel: string, shard: { index: number; count: number }): boolean {
  const h = createHash('sha256').update(bytesOfName(rel.split(path.sep).join('/'))).digest();
  return h.readUInt32BE(0) % shard.count === shard.index;
}

/**
 * Where each input's result goes: outDir + its relative path, named by the rule at the top of this file. An output
 * that is one of the inputs is refused (error).
 */
export function planOutputs(files: InputFile[], outDir: string, format: OutputFormat): PlannedFile[] {
  const root = path.resolve(outDir);
  const inputs = new Set(files.map((f) => pathKey(realPath(f.input))));
  const parts = files.map((f) => {
    const name = displayName(path.basename(f.rel));
    const inExt = path.extname(name);
    let ext: string;
    try {
      ext = withDot(outputExtension(resolveFormat(f.input, format)));
    } catch {
      ext = inExt || '.png';
    }
    const dir = path.join(root, displayName(path.dirname(f.rel)));
    return { dir, stem: name.slice(0, name.length - inExt.length), inExt: inExt.slice(1), ext };
  });
  // photos (not errors) by output folder and stem, case folded: the same names whatever the file system
  const group = (i: number, name: string) => `${parts[i].dir}\u0000${name}`.toLowerCase();
  const count = (keys: string[]) => {
    const m = new Map<string, number>();
    files.forEach((f, i) => !f.error && m.set(keys[i], (m.get(keys[i]) ?? 0) + 1));
    return m;
  };
  const stems = parts.map((p, i) => group(i, p.stem));
  const stemCount = count(stems);
  const names = parts.map((p, i) =>
    (stemCount.get(stems[i]) ?? 0) > 1 ? fitName(p.stem, ` (${p.inExt})${p.ext}`) : fitName(p.stem, p.ext),
  );
  const nameKeys = names.map((n, i) => group(i, n));
  const nameCount = count(nameKeys);
  files.forEach((f, i) => {
    if ((nameCount.get(nameKeys[i]) ?? 0) < 2) return;
    const h = createHash('sha256').update(bytesOfName(f.input)).digest('hex').slice(0, 6);
    const p = parts[i];
    names[i] = fitName(p.stem, ` (${p.inExt ? `${p.inExt} ` : ''}${h})${p.ext}`);
  });
  const taken = new Set<string>();
  const outputs: string[] = [];
  // a last guard (a hash clash, a missing input's name): never two onto one file; photos first, so errors never shift them
  const order = [...files.keys()].sort((a, b) => Number(!!files[a].error) - Number(!!files[b].error) || a - b);
  for (const i of order) {
    let output = path.join(parts[i].dir, names[i]);
    for (let n = 2; taken.has(output.toLowerCase()); n++) output = path.join(parts[i].dir, numberedName(names[i], n));
    taken.add(output.toLowerCase());
    outputs[i] = output;
  }
  return files.map((f, i) => {
    const output = outputs[i];
    const planned: PlannedFile = { ...f, output };
    if (!f.error && (inputs.has(pathKey(realPath(output))) || inputs.has(pathKey(path.resolve(output))))) {
      planned.error = `Refused: the output ${output} would overwrite an original. Choose another output folder.`;
    }
    return planned;
  });
}
