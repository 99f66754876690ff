// Which output belongs to which photo, and who is writing it right now. Every folder Revive writes outputs into gets
// a hidden `.revive/` folder:
//
//   .revive/outputs/<key of the output's name>.json   what Revive made this output from (one record per output)
//   .revive/sources/<key of the photo's name>.json    the latest output made from this photo (the same record)
//   .revive/claims/s-<key> and o-<key>                a photo being restored / an output name being written now
//
// A record is small JSON written to a temp file and renamed into place (atomic on local and network file systems;
// never appended to, so several writers and NFS/SMB shares are safe). It says the photo's path, name, size, mtime and
// SHA-256, the settings' fingerprint, and the output's name, size, mtime and SHA-256. An output is taken as Revive's
// only while it still matches its record (same size, and the same mtime or, failing that, the same SHA-256): a file
// someone else put there, or changed, is never claimed, replaced or skipped as done.
//
// A claim is a file created with O_EXCL (exclusive create is atomic on NFSv3+ and SMB too) holding pid, host and
// time; it is refreshed every minute while held, removed when done. A claim is stale when its process is gone (same
// host) or it has not been refreshed for CLAIM_STALE_MS (another host's, crashed); a stale claim is taken over by
// renaming it aside first, so two takers cannot both win.
import { createHash, randomBytes } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RestoreSettings } from '../../shared/types';
import { bytesOfName, fsPath, pathKey } from '../fs-paths';
import { alive, cleanStaleTemps, type EncodeFormat, tempName } from '../image/encode';
import { loadManifest } from '../models/manifest';
import { localModel } from '../restore/stages/local';

export const LEDGER_DIR = '.revive';
/** A claim not refreshed for this long belongs to a writer that is gone (claims are refreshed every minute). */
export const CLAIM_STALE_MS = 10 * 60 * 1000;
const HEARTBEAT_MS = 60 * 1000;
const HOST = os.hostname();

export interface LedgerRecord {
  v: 1;
  /** The output's file name, in the folder this record lives in. */
  output: string;
  outputSize: number;
  outputMtimeMs: number;
  outputHash: string;
  /** The photo's absolute path (bytes that are not UTF-8 escaped as in src/core/fs-paths.ts). */
  source: string;
  sourceName: string;
  sourceSize: number;
  sourceMtimeMs: number;
  sourceHash: string;
  /** settingsFingerprint() of the settings it was restored with. */
  settings: string;
  /** Those settings, for people reading the ledger. */
  settingsUsed: Record<string, unknown>;
  at: string;
  host: string;
  pid: number;
}

export type RecordKind = 'outputs' | 'sources';

/** A short, file-system-safe key for a file name (its bytes; case folded where the file system ignores case). */
export function nameKey(name: string): string {
  return createHash('sha256').update(bytesOfName(pathKey(name))).digest('hex').slice(0, 40);
}

export function ledgerDir(dir: string): string {
  return path.join(dir, LEDGER_DIR);
}

/** SHA-256 (hex) of a file's contents, streamed. */
export function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    fs.createReadStream(fsPath(file) as fs.PathLike)
      .on('error', reject)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** A file name and nothing more (a record naming "../x" or "a/b" is not believed: it could point anywhere). */
function plainName(n: unknown): n is string {
  return typeof n === 'string' && n !== '' && n !== '.' && n !== '..' && !/[/\\]/.test(n) && !n.includes('\u0000');
}

/** The record of an output (`kind` 'outputs', by its name) or of a photo's latest output ('sources', by its name). */
export async function readRecord(dir: string, kind: RecordKind, name: string): Promise<LedgerRecord | null> {
  try {
    const rec = JSON.parse(await fsp.readFile(path.join(ledgerDir(dir), kind, `${nameKey(name)}.json`), 'utf8'));
    if (rec?.v !== 1 || typeof rec.sourceHash !== 'string' || !plainName(rec.output)) return null;
    return rec as LedgerRecord;
  } catch {
    return null;
  }
}

/** The names of the output records in a folder's ledger (cheap test before reading one). */
export async function outputKeys(dir: string): Promise<Set<string>> {
  try {
    const names = await fsp.readdir(path.join(ledgerDir(dir), 'outputs'));
    return new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
  } catch {
    return new Set();
  }
}

const CLEANED = new Set<string>();
/** Temp files of this module that a hard exit must remove (releaseAllSync). */
const LIVE_TEMPS = new Set<string>();

/** Writes `data` to `file` atomically (temp file in the same folder, flushed, renamed over). */
async function writeAtomic(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  if (!CLEANED.has(dir)) {
    CLEANED.add(dir);
    await cleanStaleTemps(dir);
  }
  const tmp = path.join(dir, tempName(path.basename(file)));
  LIVE_TEMPS.add(tmp);
  try {
    const fh = await fsp.open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    LIVE_TEMPS.delete(tmp);
  }
}

export async function writeRecord(dir: string, kind: RecordKind, rec: LedgerRecord): Promise<void> {
  const name = kind === 'outputs' ? rec.output : rec.sourceName;
  await writeAtomic(path.join(ledgerDir(dir), kind, `${nameKey(name)}.json`), JSON.stringify(rec) + '\n');
}

/** Whether the output a record names is still the file Revive wrote (same size; same mtime, else same SHA-256). */
export async function outputMatches(dir: string, rec: LedgerRecord): Promise<boolean> {
  const file = path.join(dir, rec.output);
  const st = await fsp.lstat(fsPath(file)).catch(() => null);
  if (!st || !st.isFile() || st.size !== rec.outputSize) return false;
  if (Math.abs(st.mtimeMs - rec.outputMtimeMs) < 1) return true;
  return (await hashFile(file).catch(() => null)) === rec.outputHash;
}

/** Whether `name` in `dir` is an output Revive wrote there (its record says so and it still matches). */
export async function isReviveOutput(dir: string, name: string, keys?: Set<string>): Promise<boolean> {
  if (keys && !keys.has(nameKey(name))) return false;
  const rec = await readRecord(dir, 'outputs', name);
  return !!rec && pathKey(rec.output) === pathKey(name) && (await outputMatches(dir, rec));
}

// ---- settings ----

/**
 * The fingerprint of what decides an output's pixels and file: the restore model (by its checksum, so a retrained
 * model under the same id counts as other settings; with its "adapt to each photo" regressor when that is on), the
 * strength, each stage's settings, the output format and, for
 * lossy formats, the quality. Not the device, tile size or threads (the same result, sooner or later).
 */
/**
 * The settings without where a stage saves its by-products (the scratch stage's saveMask: the app's is a path in
 * its temp work folder): they do not change the output, and an output's XMP must not carry them.
 */
export function withoutByProducts(settings: RestoreSettings): RestoreSettings {
  if (!settings.stages) return settings;
  const stages = Object.fromEntries(
    Object.entries(settings.stages).map(([k, v]) => [k, Object.fromEntries(Object.entries(v ?? {}).filter(([n]) => n !== 'saveMask'))]),
  );
  return { ...settings, stages };
}

export async function settingsFingerprint(
  settings: RestoreSettings,
  format: EncodeFormat,
  modelsDir: string,
): Promise<{ fingerprint: string; used: Record<string, unknown> }> {
  let model: string = settings.modelId ?? 'default';
  try {
    const m = localModel(await manifestOf(modelsDir), settings);
    model = `${m.id}@${m.sha256.slice(0, 16)}`;
    // adapting to the photo, its regressor decides the result as much as the weights do
    if (m.amount && settings.stages?.local?.adapt !== false) {
      const { metrics: _metrics, ...amount } = m.amount;
      model += `+amount@${createHash('sha256').update(JSON.stringify(amount)).digest('hex').slice(0, 8)}`;
    }
  } catch {
    // no manifest: the id as given
  }
  const byName = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
  const stages = Object.fromEntries(
    Object.entries(withoutByProducts(settings).stages ?? {})
      .sort(byName)
      .map(([k, v]) => [k, Object.fromEntries(Object.entries(v ?? {}).sort(byName))]),
  );
  const lossy = format === 'jpeg' || format === 'webp' || format === 'avif';
  const used = { model, strength: settings.strength, stages, format, ...(lossy ? { quality: settings.quality } : {}) };
  return { fingerprint: createHash('sha256').update(JSON.stringify(used)).digest('hex').slice(0, 32), used };
}

const manifests = new Map<string, ReturnType<typeof loadManifest>>();
function manifestOf(dir: string): ReturnType<typeof loadManifest> {
  let m = manifests.get(dir);
  if (!m) {
    m = loadManifest(dir);
    manifests.set(dir, m);
    m.catch(() => manifests.delete(dir));
  }
  return m;
}

// ---- claims ----

interface ClaimBody {
  pid: number;
  host: string;
  at: string;
  nonce: string;
}

export class Claim {
  constructor(
    readonly file: string,
    readonly nonce: string,
  ) {}

  /** Removes the claim (only if it is still this one). */
  async release(): Promise<void> {
    HELD.delete(this);
    if (!HELD.size && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = null;
    }
    const body = await readClaim(this.file);
    if (body?.nonce === this.nonce) await fsp.rm(this.file, { force: true }).catch(() => undefined);
  }
}

const HELD = new Set<Claim>();
let heartbeat: NodeJS.Timeout | null = null;

async function readClaim(file: string): Promise<ClaimBody | null> {
  try {
    const b = JSON.parse(await fsp.readFile(file, 'utf8'));
    return typeof b?.nonce === 'string' ? (b as ClaimBody) : null;
  } catch {
    return null;
  }
}

/** Whether a claim file belongs to no running writer (see the top of this file). */
async function isStale(file: string, staleMs: number): Promise<boolean> {
  const st = await fsp.stat(file).catch(() => null);
  if (!st) return true;
  if (Date.now() - st.mtimeMs > staleMs) return true;
  const body = await readClaim(file);
  if (!body || body.host !== HOST) return false; // being written (empty for a moment), or another host's
  if (body.pid === process.pid) return ![...HELD].some((c) => c.nonce === body.nonce);
  return !alive(body.pid);
}

export type ClaimKind = 's' | 'o';

/**
 * Claims a photo ('s', by its name) or an output name ('o') in the output folder `dir`: the Claim, or 'held' while
 * another running writer holds it. Where no claim can be made (a read-only folder) it gives a Claim that holds nothing:
 * the write itself then fails with the folder's reason.
 */
export async function tryClaim(dir: string, kind: ClaimKind, name: string, staleMs = CLAIM_STALE_MS): Promise<Claim | 'held'> {
  const claims = path.join(ledgerDir(dir), 'claims');
  const file = path.join(claims, `${kind}-${nameKey(name)}`);
  const nonce = randomBytes(8).toString('hex');
  const body: ClaimBody = { pid: process.pid, host: HOST, at: new Date().toISOString(), nonce };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fsp.mkdir(claims, { recursive: true });
      const fh = await fsp.open(file, 'wx');
      try {
        await fh.writeFile(JSON.stringify(body) + '\n');
      } finally {
        await fh.close();
      }
      const claim = new Claim(file, nonce);
      HELD.add(claim);
      heartbeat ??= setInterval(refreshHeld, HEARTBEAT_MS).unref();
      return claim;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return new Claim(file, nonce);
    }
    if (!(await isStale(file, staleMs))) return 'held';
    // take it over: move it aside (only one taker's rename succeeds), check it was the stale one, then claim anew
    const aside = `${file}.stale-${nonce}`;
    const before = await readClaim(file);
    if (!(await fsp.rename(file, aside).then(() => true, () => false))) continue;
    const moved = await readClaim(aside);
    if (moved && before && moved.nonce !== before.nonce) {
      // a fresh claim was made meanwhile and we moved it: put it back (link never replaces), leave it to its owner
      await fsp.link(aside, file).catch(() => undefined);
      await fsp.rm(aside, { force: true }).catch(() => undefined);
      return 'held';
    }
    await fsp.rm(aside, { force: true }).catch(() => undefined);
  }
  return 'held';
}

function refreshHeld(): void {
  const now = new Date();
  for (const c of HELD) fs.utimes(c.file, now, now, () => undefined);
}

// ---- placing an output ----

/** A temp file in `dir` for an output named `name`, removed by releaseAllSync on a hard exit. */
export function outputTemp(dir: string, name: string): string {
  const tmp = path.join(dir, tempName(name));
  LIVE_TEMPS.add(tmp);
  return tmp;
}

export function forgetTemp(tmp: string): void {
  LIVE_TEMPS.delete(tmp);
}

/**
 * Moves a finished temp file to `dest`. With `replace` it renames over whatever is there; without, it never
 * replaces a file: a hard link (fails if `dest` exists), or where the file system has no hard links, a check and a
 * rename. Resolves false when `dest` exists (nothing moved).
 */
export async function place(tmp: string, dest: string, replace: boolean): Promise<boolean> {
  if (replace) {
    await fsp.rename(tmp, dest);
    return true;
  }
  try {
    await fsp.link(tmp, dest);
    await fsp.rm(tmp, { force: true });
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
  }
  if (await fsp.lstat(dest).then(() => true, () => false)) return false;
  await fsp.rename(tmp, dest);
  return true;
}

/**
 * On the way out at once (a second Ctrl-C): removes this process's claims and the temp files of this module,
 * synchronously, so that no claim waits CLAIM_STALE_MS for another run and no temp is left.
 */
export function releaseAllSync(): void {
  for (const t of LIVE_TEMPS) fs.rmSync(t, { force: true });
  LIVE_TEMPS.clear();
  for (const c of HELD) {
    try {
      if (JSON.parse(fs.readFileSync(c.file, 'utf8')).nonce === c.nonce) fs.rmSync(c.file, { force: true });
    } catch {
      // best effort on the way out
    }
  }
  HELD.clear();
}
