// onnxruntime-node sessions: which execution providers this build can try, falling back from the fast ones to the
// CPU with the reason for each fallback, and one session per (model file, provider) reused across jobs.
// `auto` tries CUDA (when its libraries and an NVIDIA driver are present), DirectML (Windows), WebGPU (bundled with
// onnxruntime-node: Vulkan, D3D12 or Metal), then the CPU; WebGPU on a software renderer (lavapipe, SwiftShader,
// WARP) is slower than the CPU provider, so `auto` skips it and only a request by name uses it.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Device, ManifestModel, Precision, Provider, ProviderReport } from '../../shared/types';
import { displayName, ModelError, verifyModel } from '../models/manifest';
import { type AdapterSurvey, webgpuAdapter } from './adapter';

interface Backend {
  name: string;
  bundled: boolean;
}

function listBackends(): Backend[] {
  try {
    const list = (ort as unknown as { listSupportedBackends?: () => Backend[] }).listSupportedBackends?.();
    return Array.isArray(list) ? list : [{ name: 'cpu', bundled: true }];
  } catch {
    return [{ name: 'cpu', bundled: true }];
  }
}

/** Folder of onnxruntime-node's native binding (where extra provider libraries would be installed), if found. */
function bindingDir(): string | null {
  try {
    const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

function hasProviderLibrary(name: string): boolean | null {
  const dir = bindingDir();
  if (!dir) return null; // unknown: just try it
  try {
    return readdirSync(dir).some((f) => f.toLowerCase().includes(`onnxruntime_providers_${name}`));
  } catch {
    return null;
  }
}

export interface ProbeContext {
  platform?: NodeJS.Platform;
  /** What was asked for: `auto` never takes a software WebGPU adapter, a request by name does. Default 'auto'. */
  requested?: Device;
  /** Where WebGPU would run (default: this machine's, see adapter.ts). */
  adapter?: () => AdapterSurvey;
  /** Whether an NVIDIA driver is loaded (default: /dev/nvidiactl or /proc/driver/nvidia on Linux; assumed on Windows). */
  nvidiaDriver?: () => boolean;
}

function hasNvidiaDriver(platform: NodeJS.Platform): boolean {
  if (platform !== 'linux') return true; // Windows: no cheap check; onnxruntime says why when it fails
  return existsSync('/dev/nvidiactl') || existsSync('/proc/driver/nvidia/version');
}

/** The reason a CUDA fallback gives on a machine without an NVIDIA GPU (the app then mentions no GPU at all). */
export const NO_NVIDIA = 'no NVIDIA GPU driver is loaded on this machine';

/** Why a provider cannot even be tried on this machine/build, or null when it is worth trying. */
export function providerUnavailableReason(p: Provider, ctx: ProbeContext | NodeJS.Platform = {}): string | null {
  const c: ProbeContext = typeof ctx === 'string' ? { platform: ctx } : ctx;
  const platform = c.platform ?? process.platform;
  if (p === 'cpu') return null;
  if (p === 'dml') {
    if (platform !== 'win32') return 'DirectML is only available on Windows';
    const b = listBackends().find((x) => x.name === 'dml');
    return b ? null : 'this onnxruntime-node build has no DirectML provider';
  }
  if (p === 'webgpu') {
    if (!listBackends().some((x) => x.name === 'webgpu')) return 'this onnxruntime-node build has no WebGPU provider';
    const survey = (c.adapter ?? webgpuAdapter)();
    const a = survey.chosen;
    if (!a) {
      return platform === 'linux'
        ? 'no GPU with a Vulkan driver was found for WebGPU (install the GPU maker\'s Vulkan driver, e.g. mesa-vulkan-drivers or NVIDIA\'s)'
        : `no GPU was found for WebGPU (${survey.source})`;
    }
    if (a.software && (c.requested ?? 'auto') === 'auto') {
      return `the only GPU WebGPU can use here is ${a.name}, a software renderer without a real GPU, slower than the CPU (choose WebGPU by name to use it anyway)`;
    }
    return null;
  }
  // cuda
  if (platform !== 'linux' && platform !== 'win32') return `CUDA is not available on ${platform}`;
  // no NVIDIA GPU is said first: on such a machine what the build lacks for one is no concern (issue 15)
  if (!(c.nvidiaDriver ?? (() => hasNvidiaDriver(platform)))()) return NO_NVIDIA;
  const b = listBackends().find((x) => x.name === 'cuda');
  if (!b) return 'this onnxruntime-node build has no CUDA provider';
  if (!b.bundled && hasProviderLibrary('cuda') === false) {
    return 'the CUDA provider of onnxruntime-node is not installed (it is not bundled with this build)';
  }
  return null;
}

/** Execution providers this build can try when asked for by name, in order of preference, e.g. ['webgpu', 'cpu']. */
export function availableProviders(platform: NodeJS.Platform = process.platform, ctx: ProbeContext = {}): Provider[] {
  const out: Provider[] = [];
  for (const p of ['cuda', 'dml', 'webgpu'] as Provider[]) {
    if (providerUnavailableReason(p, { ...ctx, platform, requested: p }) === null) out.push(p);
  }
  out.push('cpu');
  return out;
}

/** The providers to try for a requested device, fastest first; cpu always last. */
export function providerOrder(device: Device, platform: NodeJS.Platform = process.platform): Provider[] {
  if (device !== 'auto') return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
  if (platform === 'win32') return ['cuda', 'dml', 'webgpu', 'cpu'];
  if (platform === 'linux') return ['cuda', 'webgpu', 'cpu'];
  if (platform === 'darwin') return ['webgpu', 'cpu'];
  return ['cpu'];
}

/** Whether an inference error is the GPU running out of memory (then smaller tiles, or the CPU, may still work). */
export function isOutOfMemory(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /out of memory|\bOOM\b|failed to allocate|allocation failed|cudaErrorMemoryAllocation|CUDNN_STATUS_ALLOC_FAILED|E_OUTOFMEMORY|DXGI_ERROR_DEVICE_REMOVED|device lost|exceeds the max buffer size|maxBufferSize|maxStorageBufferBindingSize/i.test(m);
}

/** Why a provider could not start, in words: the common causes first, onnxruntime's own message after them. */
export function startFailure(provider: Provider, reason: string): string {
  const lib = /([\w.+-]+\.(?:so(?:\.\d+)*|dll)): cannot open shared object file|LoadLibrary failed[^:]*: ?"?([^"\s]+)/i.exec(reason);
  if (provider === 'cuda' && lib) {
    return `the CUDA 12 and cuDNN 9 libraries that onnxruntime's CUDA provider needs are not installed (${lib[1] ?? lib[2]} is missing)`;
  }
  if (provider === 'webgpu' && /Failed to get a WebGPU adapter/i.test(reason)) {
    return `WebGPU found no usable GPU (onnxruntime: ${reason})`;
  }
  return `could not start ${provider}: ${reason}`;
}

function firstLine(msg: string): string {
  const line = msg.split('\n').find((l) => l.trim()) ?? msg;
  return line.trim().slice(0, 300);
}

export interface SessionOptions {
  /** intra-op threads; 0 or absent = onnxruntime's default (all cores). */
  threads?: number;
  /** `fast` (default): the CPU runs a model's int8 copy (manifest `cpu_int8`) where one ships; `exact`: float32. */
  precision?: Precision;
}

export type SessionFactory = (file: string, provider: Provider, opts: SessionOptions) => Promise<ort.InferenceSession>;

const ortFactory: SessionFactory = (file, provider, opts) => {
  const so: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  if (opts.threads && opts.threads > 0) so.intraOpNumThreads = opts.threads;
  return ort.InferenceSession.create(file, so);
};

export interface CachedSession {
  session: ort.InferenceSession;
  report: ProviderReport;
  provider: Provider;
  entry: ManifestModel;
  file: string;
}

/**
 * One onnxruntime session per (model file, provider), created on first use and reused. `get` verifies the model's
 * sha256 (cached by path+mtime+size) and resolves the device to a provider, trying the fast ones first and falling
 * back to the CPU; every fallback is in the report. Only a failure on the CPU itself throws.
 */
export class SessionCache {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  /** Providers known to fail (provider -> reason), so a fallback is not retried on every job. */
  private readonly failed = new Map<string, string>();
  private readonly factory: SessionFactory;
  private readonly options: SessionOptions;
  private readonly platform: NodeJS.Platform;
  private readonly probe: (p: Provider, requested: Device) => string | null;
  private readonly adapter: () => AdapterSurvey;
  /** Largest tile known to fit in the GPU's memory, per (model file, provider), learnt from out-of-memory errors. */
  private readonly tileLimits = new Map<string, number>();
  /** Sessions actually created (for tests: reuse means this does not grow). */
  created = 0;

  constructor(
    opts: SessionOptions & {
      /** Creates a session (default: onnxruntime-node); tests inject failures here. */
      factory?: SessionFactory;
      platform?: NodeJS.Platform;
      /** Why a provider cannot be tried at all for this request (default: providerUnavailableReason); null = try it. */
      probe?: (p: Provider, requested: Device) => string | null;
      /** Where WebGPU would run (default: this machine's, see adapter.ts). */
      adapter?: () => AdapterSurvey;
    } = {},
  ) {
    this.factory = opts.factory ?? ortFactory;
    this.options = { threads: opts.threads ?? 0, precision: opts.precision ?? 'fast' };
    this.platform = opts.platform ?? process.platform;
    this.adapter = opts.adapter ?? webgpuAdapter;
    this.probe =
      opts.probe ?? ((p, requested) => providerUnavailableReason(p, { platform: this.platform, requested, adapter: this.adapter }));
  }

  async get(dir: string, entry: ManifestModel, device: Device): Promise<CachedSession> {
    const file = await verifyModel(dir, entry);
    const report: ProviderReport = { requested: device, used: 'cpu', fallbacks: [] };
    for (const provider of providerOrder(device, this.platform)) {
      const key = `${file}\u0000${provider}`;
      if (provider !== 'cpu') {
        const known = this.failed.get(key) ?? this.probe(provider, device);
        if (known) {
          report.fallbacks.push({ provider, reason: known });
          continue;
        }
      }
      if (provider === 'cpu' && entry.cpu_int8 && this.options.precision !== 'exact') {
        const q = await this.quantised(dir, entry, report);
        if (q) return q;
      }
      try {
        const session = await this.open(file, provider);
        report.used = provider;
        if (provider === 'webgpu') {
          const a = this.adapter().chosen;
          if (a) report.adapter = a.software ? `${a.name} (a software renderer, no GPU)` : a.name;
        }
        return { session, report, provider, entry, file };
      } catch (e) {
        this.sessions.delete(key);
        const reason = firstLine((e as Error).message ?? String(e));
        if (provider === 'cpu') {
          throw new ModelError(`Model file ${displayName(dir, entry)} could not be loaded: ${reason}`, 'damaged');
        }
        const why = startFailure(provider, reason);
        this.failed.set(key, why);
        report.fallbacks.push({ provider, reason: why });
      }
    }
    throw new Error('unreachable: cpu is always tried');
  }

  /** The session of (file, provider): the cached one, or a new one (a failed creation is forgotten by the caller). */
  private open(file: string, provider: Provider): Promise<ort.InferenceSession> {
    const key = `${file}\u0000${provider}`;
    let p = this.sessions.get(key);
    if (!p) {
      p = this.factory(file, provider, this.options);
      this.created++;
      this.sessions.set(key, p);
    }
    return p;
  }

  /**
   * The CPU session of the model's int8 copy, or null (with the reason in report.precisionNote) when its file is
   * missing, damaged or does not load: the float32 model then runs, so a broken copy never fails a photo.
   */
  private async quantised(dir: string, entry: ManifestModel, report: ProviderReport): Promise<CachedSession | null> {
    const copy = entry.cpu_int8!;
    let file: string;
    try {
      file = await verifyModel(dir, copy);
    } catch (e) {
      report.precisionNote = `the int8 copy was not used: ${(e as Error).message}`;
      return null;
    }
    const key = `${file}\u0000cpu`;
    const known = this.failed.get(key);
    if (known) {
      report.precisionNote = known;
      return null;
    }
    try {
      const session = await this.open(file, 'cpu');
      report.used = 'cpu';
      report.precision = 'int8';
      return { session, report, provider: 'cpu', entry, file };
    } catch (e) {
      this.sessions.delete(key);
      const why = `the int8 copy ${displayName(dir, copy)} could not be loaded (${firstLine((e as Error).message ?? String(e))}); using float32`;
      this.failed.set(key, why);
      report.precisionNote = why;
      return null;
    }
  }

  /** The largest tile that fitted in the GPU memory of this session's provider (undefined: no limit known). */
  tileLimit(s: CachedSession): number | undefined {
    return this.tileLimits.get(`${s.file}\u0000${s.provider}`);
  }

  /** Remembers that tiles larger than `tile` ran out of GPU memory on this session's provider. */
  limitTile(s: CachedSession, tile: number): void {
    const key = `${s.file}\u0000${s.provider}`;
    this.tileLimits.set(key, Math.min(tile, this.tileLimits.get(key) ?? Infinity));
  }

  /** Releases every session (they are recreated on demand). */
  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.release?.().catch(() => undefined)));
  }
}

/** A one-line description of a provider report for people (CLI stderr, logs). */
export function describeReport(r: ProviderReport): string {
  const prec = r.precision === 'int8' ? ' with int8 arithmetic' : '';
  const parts = [`using ${r.used.toUpperCase()}${prec}${r.adapter ? ` on ${r.adapter}` : ''} (requested: ${r.requested})`];
  if (r.precisionNote) parts.push(r.precisionNote);
  for (const f of r.fallbacks) parts.push(`${f.provider.toUpperCase()} not used: ${f.reason}`);
  return parts.join('; ');
}
