// onnxruntime-node sessions: which execution providers this build can try, falling back from the fast ones to the
// CPU with the reason for each fallback, and one session per (model file, provider) reused across jobs.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Device, ManifestModel, Provider, ProviderReport } from '../../shared/types';
import { displayName, ModelError, verifyModel } from '../models/manifest';

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

/** Why a provider cannot even be tried on this machine/build, or null when it is worth trying. */
export function providerUnavailableReason(p: Provider, platform: NodeJS.Platform = process.platform): string | null {
  if (p === 'cpu') return null;
  if (p === 'dml') {
    if (platform !== 'win32') return 'DirectML is only available on Windows';
    const b = listBackends().find((x) => x.name === 'dml');
    return b ? null : 'this onnxruntime-node build has no DirectML provider';
  }
  // cuda
  if (platform !== 'linux' && platform !== 'win32') return `CUDA is not available on ${platform}`;
  const b = listBackends().find((x) => x.name === 'cuda');
  if (!b) return 'this onnxruntime-node build has no CUDA provider';
  if (!b.bundled && hasProviderLibrary('cuda') === false) {
    return 'the CUDA provider of onnxruntime-node is not installed (it is not bundled with this build)';
  }
  return null;
}

/** Execution providers this build can try, in order of preference, e.g. ['cuda', 'cpu']. */
export function availableProviders(platform: NodeJS.Platform = process.platform): Provider[] {
  const out: Provider[] = [];
  for (const p of ['cuda', 'dml'] as Provider[]) if (providerUnavailableReason(p, platform) === null) out.push(p);
  out.push('cpu');
  return out;
}

/** The providers to try for a requested device, fastest first; cpu always last. */
export function providerOrder(device: Device, platform: NodeJS.Platform = process.platform): Provider[] {
  if (device === 'cpu') return ['cpu'];
  if (device === 'cuda') return ['cuda', 'cpu'];
  if (device === 'dml') return ['dml', 'cpu'];
  if (platform === 'win32') return ['dml', 'cuda', 'cpu'];
  if (platform === 'linux') return ['cuda', 'cpu'];
  return ['cpu'];
}

function firstLine(msg: string): string {
  const line = msg.split('\n').find((l) => l.trim()) ?? msg;
  return line.trim().slice(0, 300);
}

export interface SessionOptions {
  /** intra-op threads; 0 or absent = onnxruntime's default (all cores). */
  threads?: number;
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
  private readonly probe: (p: Provider) => string | null;
  /** Sessions actually created (for tests: reuse means this does not grow). */
  created = 0;

  constructor(
    opts: SessionOptions & {
      /** Creates a session (default: onnxruntime-node); tests inject failures here. */
      factory?: SessionFactory;
      platform?: NodeJS.Platform;
      /** Why a provider cannot be tried at all (default: providerUnavailableReason); null = try it. */
      probe?: (p: Provider) => string | null;
    } = {},
  ) {
    this.factory = opts.factory ?? ortFactory;
    this.options = { threads: opts.threads ?? 0 };
    this.platform = opts.platform ?? process.platform;
    this.probe = opts.probe ?? ((p) => providerUnavailableReason(p, this.platform));
  }

  async get(dir: string, entry: ManifestModel, device: Device): Promise<CachedSession> {
    const file = await verifyModel(dir, entry);
    const report: ProviderReport = { requested: device, used: 'cpu', fallbacks: [] };
    for (const provider of providerOrder(device, this.platform)) {
      const key = `${file}\u0000${provider}`;
      if (provider !== 'cpu') {
        const known = this.failed.get(key) ?? this.probe(provider);
        if (known) {
          report.fallbacks.push({ provider, reason: known });
          continue;
        }
      }
      let p = this.sessions.get(key);
      if (!p) {
        p = this.factory(file, provider, this.options);
        this.created++;
        this.sessions.set(key, p);
      }
      try {
        const session = await p;
        report.used = provider;
        return { session, report, provider, entry, file };
      } catch (e) {
        this.sessions.delete(key);
        const reason = firstLine((e as Error).message ?? String(e));
        if (provider === 'cpu') {
          throw new ModelError(`Model file ${displayName(dir, entry)} could not be loaded: ${reason}`, 'damaged');
        }
        this.failed.set(key, `could not start ${provider}: ${reason}`);
        report.fallbacks.push({ provider, reason: `could not start ${provider}: ${reason}` });
      }
    }
    throw new Error('unreachable: cpu is always tried');
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
  const parts = [`using ${r.used.toUpperCase()} (requested: ${r.requested})`];
  for (const f of r.fallbacks) parts.push(`${f.provider.toUpperCase()} not used: ${f.reason}`);
  return parts.join('; ');
}
