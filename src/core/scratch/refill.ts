// Fill a corrected scratch mask again, recomputing only the area that changed. After a restore the app shows the mask
// the scratch stage filled; the person adds a missed scratch or erases a false mark, and this redoes the restore of
// that area alone: the original is decoded, the tone stage runs on the whole photo (one global mapping found on a
// thumbnail, cheap), then the scratch stage (filling the new mask) and the local network run on a crop around the
// changed pixels (old mask XOR new mask), grown by how far each network looks (the local restorer's and the fill's
// receptive_overlap), so the pixels pasted back (the changed area grown by the local restorer's reach) are what a
// whole-photo restore would give. Erasing a false mark brings back the restored-but-unfilled pixels there.
// Everything outside the pasted rectangle is the existing output's, byte for byte in a lossless format. The corrected
// mask is a person's, so the crop is filled plain (mask-file.ts): marks the detector made inside the pasted rectangle
// are filled again without the guided fill's keeping, as a whole-photo restore with that mask would fill them.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FileResult, JobEvent, Manifest, RestoreSettings, StageInfo } from '../../shared/types';
import type { AppPhoto } from '../app-files';
import type { DecodedImage } from '../image/decode';
import { decodeImage, probeImage } from '../image/decode';
import { encodeImage, resolveFormat } from '../image/encode';
import { settingsString } from '../image/xmp';
import { forgetTemp, hashFile, outputMatches, outputTemp, place, readRecord, withoutByProducts, writeRecord } from '../jobs/ledger';
import type { PixelImage } from '../image/planar';
import type { Rect } from '../image/types';
import type { InferenceGate } from '../inference/gate';
import type { SessionCache } from '../inference/session';
import { getModel, loadManifest } from '../models/manifest';
import { decodeMask } from '../refine/inputs';
import { RestorePipeline } from '../restore/pipeline';
import { judgeAmount, localModel, localStage } from '../restore/stages/local';
import { scratchStage, type ScratchInfo } from '../restore/stages/scratches';
import { toneStage } from '../restore/stages/tone';
import { isCancel, throwIfAborted } from '../cancel';
import { readMaskFile, writeMask } from './mask-file';
import { maskStats } from './scratch';
import { boundingBox } from '../refine/mask';

export interface RefillOptions {
  /** The original photo and the output the restore wrote for it (rewritten in place, atomically). */
  input: string;
  output: string;
  /** The mask the output was filled with, and the corrected one (1 = fill), both the photo's size. */
  oldMask: Uint8Array;
  newMask: Uint8Array;
  /** The old mask is the detector's, as the restore saved it (mask-file.ts): kept so when nothing was changed. */
  oldDetected?: boolean;
  /** The restore's settings (the same stages, models, strength and output quality). */
  settings: RestoreSettings;
  modelsDir: string;
  manifest: Manifest;
  sessions: SessionCache;
  /** Where the new mask is written (a .png file). */
  maskFile: string;
  /** A folder for the crop's temporary mask file (default: the OS's). */
  tmpDir?: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface RefillResult {
  info: ScratchInfo & { changed: Rect | null };
  /** Pixels of the output rewritten (0 when the masks are the same: nothing is written). */
  pasted: number;
}

/** The bounding box of the pixels where a and b differ, or null when they are the same. */
export function diffBox(a: Uint8Array, b: Uint8Array, w: number, h: number): Rect | null {
  if (a.length !== w * h || b.length !== w * h) throw new RangeError('the masks are not the photo’s size');
  const xor = new Uint8Array(w * h);
  for (let i = 0; i < xor.length; i++) xor[i] = (a[i] ? 1 : 0) ^ (b[i] ? 1 : 0);
  return boundingBox(xor, w, h);
}

/** `r` grown by `m` pixels on every side, clipped to w x h. */
export function grow(r: Rect, m: number, w: number, h: number): Rect {
  const x = Math.max(0, r.x - m);
  const y = Math.max(0, r.y - m);
  return { x, y, w: Math.min(w, r.x + r.w + m) - x, h: Math.min(h, r.y + r.h + m) - y };
}

/** The rectangle of an image as a new image (alpha and metadata left out: the stages read only the pixels). */
export function cropImage<I extends PixelImage>(img: I, r: Rect): PixelImage {
  const n = r.w * r.h * 3;
  const rgb = img.bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  for (let y = 0; y < r.h; y++) {
    const s = ((r.y + y) * img.width + r.x) * 3;
    rgb.set(img.rgb.subarray(s, s + r.w * 3), y * r.w * 3);
  }
  return { width: r.w, height: r.h, bitDepth: img.bitDepth, rgb };
}

/**
 * Copies `inner` (in photo coordinates) from `src`, a crop whose top-left corner is at `at`, into `dst`, converting
 * between 8 and 16 bits when the two differ.
 */
export function pasteRect(dst: PixelImage, src: PixelImage, at: { x: number; y: number }, inner: Rect): void {
  const scale = dst.bitDepth === src.bitDepth ? 1 : dst.bitDepth === 16 ? 257 : 1 / 257;
  for (let y = inner.y; y < inner.y + inner.h; y++) {
    const d = (y * dst.width + inner.x) * 3;
    const s = ((y - at.y) * src.width + (inner.x - at.x)) * 3;
    if (scale === 1) dst.rgb.set(src.rgb.subarray(s, s + inner.w * 3), d);
    else for (let k = 0; k < inner.w * 3; k++) dst.rgb[d + k] = Math.round(src.rgb[s + k] * scale);
  }
}

function cropMask(mask: Uint8Array, w: number, r: Rect): Uint8Array {
  const out = new Uint8Array(r.w * r.h);
  for (let y = 0; y < r.h; y++) out.set(mask.subarray((r.y + y) * w + r.x, (r.y + y) * w + r.x + r.w), y * r.w);
  return out;
}

/** How far the local restorer and the fill network look around a pixel (their tiles' receptive_overlap). */
export function reach(manifest: Manifest, settings: RestoreSettings): { local: number; fill: number } {
  const own = settings.stages?.scratches ?? {};
  const r = localModel(manifest, settings);
  const f = getModel(manifest, own.fillModelId, 'fill');
  return { local: r.receptive_overlap, fill: f.receptive_overlap };
}

/** The output folder's ledger record of the output (src/core/jobs/ledger.ts); refuses an output changed since. */
async function ledgerOf(output: string) {
  const dir = path.dirname(output);
  const rec = await readRecord(dir, 'outputs', path.basename(output));
  if (rec && !(await outputMatches(dir, rec))) {
    throw new Error(`${path.basename(output)} was changed since Revive restored it; it was left as it is.`);
  }
  return rec;
}

/**
 * Writes the refilled output as the restore did: a temp file in its folder, its ledger record updated (the output is
 * still Revive's, so a later run skips or replaces it as its own), then renamed over the old one. Its XMP records the
 * edit, with the photo it came from.
 */
async function writeOutput(img: DecodedImage, o: RefillOptions, before: Awaited<ReturnType<typeof ledgerOf>>) {
  const dir = path.dirname(o.output);
  const name = path.basename(o.output);
  const rec = await ledgerOf(o.output); // again: nothing may have changed it while the crop was restored
  if (before && !rec) throw new Error(`${name} is no longer Revive's; it was left as it is.`);
  const tmp = outputTemp(dir, name);
  try {
    await encodeImage(img, tmp, {
      format: resolveFormat(o.output, 'same'),
      quality: o.settings.quality,
      inputPath: o.input,
      provenance: {
        action: 'edited',
        settings: `${settingsString(withoutByProducts(o.settings))} scratches.mask=corrected`,
        sourceHash: rec?.sourceHash ?? (await hashFile(o.input)),
      },
    });
    if (rec) {
      const [st, outputHash] = await Promise.all([fsp.stat(tmp), hashFile(tmp)]);
      const next = { ...rec, outputSize: st.size, outputMtimeMs: st.mtimeMs, outputHash, at: new Date().toISOString(), host: os.hostname(), pid: process.pid };
      await writeRecord(dir, 'outputs', next); // the record first: an output without its record is someone else's
      await place(tmp, o.output, true);
      // the photo's latest output, unless it has been restored to another one since
      const latest = await readRecord(dir, 'sources', rec.sourceName);
      if (!latest || latest.output === name) await writeRecord(dir, 'sources', next);
    } else await place(tmp, o.output, true);
  } finally {
    forgetTemp(tmp);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
  }
}

/**
 * Fills `newMask` into the output of `input`, recomputing only around the pixels where it differs from `oldMask`;
 * writes the output atomically (nothing is written when the masks are the same) and the new mask to `maskFile`.
 */
export async function refillScratches(o: RefillOptions): Promise<RefillResult> {
  const t0 = performance.now();
  const progress = (f: number) => o.onProgress?.(Math.min(1, Math.max(0, f)));
  const photo = await decodeImage(o.input);
  const { width: W, height: H } = photo;
  if (o.oldMask.length !== W * H || o.newMask.length !== W * H) {
    throw new RangeError(`the mask is not the size of the photo (${W}x${H})`);
  }
  const ledger = await ledgerOf(o.output);
  const out = await decodeImage(o.output);
  if (out.width !== W || out.height !== H) {
    throw new Error(`The restored photo ${path.basename(o.output)} is ${out.width}x${out.height}, not the original's ${W}x${H}: restore it again.`);
  }
  progress(0.05);
  const own = o.settings.stages?.scratches ?? {};
  const sensitivity = own.sensitivity ?? 0.5;
  const changed = diffBox(o.oldMask, o.newMask, W, H);
  const base = { ...maskStats(o.newMask), source: 'file' as const, sensitivity, detectMs: 0, fillMs: 0, fillTiles: 0 };
  if (!changed) {
    const maskFile = await writeMask(o.maskFile, o.newMask, W, H, { detected: o.oldDetected });
    progress(1);
    return { info: { ...base, maskFile, changed: null }, pasted: 0 };
  }
  const m = reach(o.manifest, o.settings);
  const inner = grow(changed, m.local, W, H);
  const crop = grow(inner, m.local + m.fill, W, H);

  // the tone stage on the whole photo (its mapping is found on a thumbnail of the whole photo, as in the restore)
  const common = { settings: o.settings, modelsDir: o.modelsDir, sessions: o.sessions };
  const toned = await new RestorePipeline({ ...common, stages: [toneStage] }).run(photo, { input: o.input, signal: o.signal });
  throwIfAborted(o.signal);
  progress(0.1);

  // the crop through the scratch stage (the new mask, from a temporary file) and the local network
  const tmp = path.join(o.tmpDir ?? os.tmpdir(), `revive-refill-${randomUUID().slice(0, 8)}.png`);
  await writeMask(tmp, cropMask(o.newMask, W, crop), crop.w, crop.h);
  let restored;
  try {
    // the local network at the whole photo's amount (judged on the whole photo, as the restore did), not the crop's
    const local = o.settings.stages?.local ?? {};
    const amount = local.adapt === false ? undefined : judgeAmount(toned.image, localModel(o.manifest, o.settings));
    const settings: RestoreSettings = {
      ...o.settings,
      stages: {
        ...o.settings.stages,
        scratches: { ...own, enabled: true, mask: tmp, saveMask: undefined },
        local: { ...local, ...(amount !== undefined ? { amount } : {}) },
      },
    };
    const pipeline = new RestorePipeline({ ...common, settings, stages: [scratchStage, localStage] });
    restored = await pipeline.run(cropImage(toned.image, crop), {
      input: o.input,
      signal: o.signal,
      onProgress: (f) => progress(0.1 + 0.8 * f),
    });
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  throwIfAborted(o.signal);

  pasteRect(out, restored.image, crop, inner);
  const stageInfo = restored.info?.scratches as unknown as ScratchInfo | undefined;
  await writeOutput(out as DecodedImage, o, ledger);
  // the mask last: a refill cut short leaves the output and its mask as they were
  const maskFile = await writeMask(o.maskFile, o.newMask, W, H);
  progress(1);
  return {
    info: {
      ...base,
      maskFile,
      fillMs: stageInfo?.fillMs ?? Math.round(performance.now() - t0),
      fillTiles: stageInfo?.fillTiles ?? 0,
      changed: inner,
    },
    pasted: inner.w * inner.h,
  };
}

/** What runRefillJob needs: the photo as the engine restored it, the corrected mask (PNG bytes), where things go. */
export interface RefillJobOptions {
  jobId: string;
  photo: AppPhoto;
  mask: Uint8Array;
  /** Where the new mask is written, and a folder for the crop's temporary mask. */
  maskFile: string;
  tmpDir: string;
  modelsDir: string;
  sessions: SessionCache;
  /** The engine's one inference at a time (waited for like a restore's photo). */
  gate?: InferenceGate;
  signal: AbortSignal;
  onEvent: (e: JobEvent) => void;
}

/** The mask the output was filled with (its file is the photo's size) and the corrected one from the page's PNG. */
async function masksOf(
  maskFile: string,
  bytes: Uint8Array,
): Promise<{ oldMask: Uint8Array; oldDetected: boolean; newMask: Uint8Array }> {
  const { width, height } = await probeImage(maskFile);
  const { mask: oldMask, detected: oldDetected } = await readMaskFile(maskFile, width, height);
  const newMask = await decodeMask(bytes, width, height).catch((e: unknown) => {
    throw new Error(`The corrected marks could not be read: ${e instanceof Error ? e.message : String(e)}.`);
  });
  return { oldMask, oldDetected, newMask };
}

/**
 * A refill as a job on the job stream, like a restore of one photo: 'start' (kind 'refill'), 'file-waiting' while
 * another inference runs, 'file-start', 'file-progress' and 'progress', 'file-done' (its info.scratches names the new
 * mask), 'done'. Never rejects; resolves with the result it reported.
 */
export async function runRefillJob(o: RefillJobOptions): Promise<FileResult> {
  const { jobId, photo, onEvent: emit } = o;
  const t0 = performance.now();
  const base = { input: photo.input, output: photo.output };
  const ms = () => Math.round(performance.now() - t0);
  let result: FileResult;
  emit({ type: 'start', jobId, files: [base], kind: 'refill' });
  let release: (() => void) | undefined;
  try {
    release = await o.gate?.acquire('restore', {
      signal: o.signal,
      onWait: (w) => emit({ type: 'file-waiting', jobId, index: 0, behind: w.holder }),
    });
    emit({ type: 'file-start', jobId, index: 0, ...base });
    const r = await refillScratches({
      ...base,
      ...(await masksOf(photo.maskFile, o.mask)),
      settings: photo.settings,
      modelsDir: o.modelsDir,
      manifest: await loadManifest(o.modelsDir),
      sessions: o.sessions,
      maskFile: o.maskFile,
      tmpDir: o.tmpDir,
      signal: o.signal,
      onProgress: (fraction) => {
        emit({ type: 'file-progress', jobId, index: 0, fraction });
        emit({ type: 'progress', jobId, done: 0, total: 1, fraction, etaMs: null });
      },
    });
    result = { ...base, status: 'ok', ms: ms(), info: { scratches: r.info as unknown as StageInfo } };
  } catch (e) {
    result = isCancel(e) || o.signal.aborted
      ? { ...base, status: 'cancelled', ms: ms() }
      : { ...base, status: 'error', ms: ms(), error: e instanceof Error ? e.message : String(e) };
  } finally {
    release?.();
  }
  emit({ type: 'file-done', jobId, index: 0, result });
  emit({ type: 'progress', jobId, done: 1, total: 1, fraction: 1, etaMs: 0 });
  const s = result.status;
  const summary = { total: 1, ok: +(s === 'ok'), failed: +(s === 'error'), skipped: 0, cancelled: +(s === 'cancelled'), ms: ms() };
  emit({ type: 'done', jobId, summary });
  return result;
}
