// The messages between Electron's main process and the utility process that hosts the EngineService, and both ends of
// the conversation over any port-like object (Electron's UtilityProcess / process.parentPort in the app, a pair of
// in-memory ports in the tests). No electron import. Messages are structured-cloned, so Uint8Array passes as is.
import type { EngineMessage } from '../core/service';
import { type EngineApi, type EngineMethod, isEngineMethod } from './dispatch';

export type ToHost = { kind: 'call'; id: number; method: EngineMethod; args: unknown[] };
export type FromHost =
  | { kind: 'ready' }
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; error: string }
  | { kind: 'event'; message: EngineMessage };

/** The engine as the host serves it: the API plus an event source (EngineService satisfies it). */
export interface HostedEngine extends EngineApi {
  on(listener: (m: EngineMessage) => void): () => void;
}

/** What the host needs of its port (process.parentPort: messages arrive as { data }). */
export interface HostPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  postMessage(message: FromHost): void;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** Serves `engine` on `port`: answers every call with one result and forwards every engine event. */
export function serveEngine(port: HostPort, engine: HostedEngine): () => void {
  const off = engine.on((message) => port.postMessage({ kind: 'event', message }));
  port.on('message', (e) => {
    const m = e?.data as Partial<ToHost> | undefined;
    if (!m || m.kind !== 'call' || typeof m.id !== 'number') return;
    const id = m.id;
    if (!isEngineMethod(m.method) || !Array.isArray(m.args)) {
      port.postMessage({ kind: 'result', id, ok: false, error: `The engine has no method ${String(m.method)}.` });
      return;
    }
    const fn = engine[m.method] as (...a: unknown[]) => Promise<unknown>;
    Promise.resolve()
      .then(() => fn.apply(engine, m.args as unknown[]))
      .then(
        (value) => port.postMessage({ kind: 'result', id, ok: true, value }),
        (err) => port.postMessage({ kind: 'result', id, ok: false, error: errorText(err) }),
      );
  });
  port.postMessage({ kind: 'ready' });
  return off;
}

/** What the client needs of the child (Electron's UtilityProcess: messages arrive as the data itself). */
export interface ChildPort {
  postMessage(message: ToHost): void;
  on(event: 'message', listener: (m: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
}

export const ENGINE_STOPPED = 'The photo engine stopped unexpectedly. Revive restarted it; please try again.';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/**
 * Main's end: an EngineApi whose calls travel to the utility process. `spawn` starts (or restarts, after a crash) the
 * child; it is called lazily on the first call. When the child exits, pending calls reject with ENGINE_STOPPED and
 * every job still running gets a closing 'done' event, so the window never waits forever.
 */
export class EngineClient implements EngineApi {
  private child: ChildPort | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(m: EngineMessage) => void>();
  private readonly running = new Map<string, 'job' | 'refine'>();
  private readonly ended = new Set<string>(); // jobs whose 'done' was seen (bounded), so a late result does not revive them

  constructor(private readonly spawn: () => ChildPort) {}

  on(listener: (m: EngineMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(m: EngineMessage): void {
    const id = m.event.jobId;
    if (m.event.type === 'done') this.end(id);
    else if (!this.ended.has(id)) this.running.set(id, m.channel);
    for (const l of [...this.listeners]) {
      try {
        l(m);
      } catch {
        // a listener's failure is not the engine's
      }
    }
  }

  private end(jobId: string): void {
    this.running.delete(jobId);
    this.ended.add(jobId);
    if (this.ended.size > 1000) this.ended.delete(this.ended.values().next().value as string);
  }

  private track(jobId: string, channel: 'job' | 'refine'): void {
    if (!this.ended.has(jobId)) this.running.set(jobId, channel);
  }

  private ensureChild(): ChildPort {
    if (this.child) return this.child;
    const child = this.spawn();
    this.child = child;
    child.on('message', (raw: unknown) => this.receive(raw as FromHost));
    child.on('exit', () => {
      if (this.child === child) this.child = null;
      this.stopped();
    });
    return child;
  }

  private receive(m: FromHost): void {
    if (!m || typeof m !== 'object') return;
    if (m.kind === 'event') this.emit(m.message);
    else if (m.kind === 'result') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error));
    }
  }

  private stopped(): void {
    for (const p of this.pending.values()) p.reject(new Error(ENGINE_STOPPED));
    this.pending.clear();
    for (const [jobId, channel] of [...this.running]) {
      if (channel === 'job') {
        this.emit({
          channel: 'job',
          event: { type: 'done', jobId, summary: { total: 0, ok: 0, failed: 1, skipped: 0, cancelled: 0, ms: 0 } },
        });
      } else this.emit({ channel: 'refine', event: { type: 'done', jobId, ok: false, error: ENGINE_STOPPED } });
    }
  }

  call<M extends EngineMethod>(method: M, args: Parameters<EngineApi[M]>): ReturnType<EngineApi[M]> {
    const child = this.ensureChild();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        child.postMessage({ kind: 'call', id, method, args });
      } catch (e) {
        this.pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    }) as ReturnType<EngineApi[M]>;
  }

  /** Jobs the client has seen start and not end. */
  activeJobs(): string[] {
    return [...this.running.keys()];
  }

  getInfo: EngineApi['getInfo'] = (...a) => this.call('getInfo', a);
  getSettings: EngineApi['getSettings'] = (...a) => this.call('getSettings', a);
  setSettings: EngineApi['setSettings'] = (...a) => this.call('setSettings', a);
  expandInputs: EngineApi['expandInputs'] = (...a) => this.call('expandInputs', a);
  loadPreview: EngineApi['loadPreview'] = (...a) => this.call('loadPreview', a);
  startRestore: EngineApi['startRestore'] = async (...a) => {
    const r = await this.call('startRestore', a);
    this.track(r.jobId, 'job');
    return r;
  };
  cancelJob: EngineApi['cancelJob'] = (...a) => this.call('cancelJob', a);
  startRefine: EngineApi['startRefine'] = async (...a) => {
    const r = await this.call('startRefine', a);
    this.track(r.jobId, 'refine');
    return r;
  };
  getRefineResult: EngineApi['getRefineResult'] = (...a) => this.call('getRefineResult', a);
  saveRound: EngineApi['saveRound'] = (...a) => this.call('saveRound', a);
  cancelRefine: EngineApi['cancelRefine'] = (...a) => this.call('cancelRefine', a);
  colorize: EngineApi['colorize'] = (...a) => this.call('colorize', a);
}

/** `--name=value` from an argument list (the utility process's process.argv). */
export function argValue(argv: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  const hit = argv.find((a) => a.startsWith(prefix));
  return hit === undefined ? undefined : hit.slice(prefix.length);
}
