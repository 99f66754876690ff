// Main's end of the conversation with the utility process that hosts the EngineService (src/electron-utility): an
// EngineApi whose calls travel over a port-like object (Electron's UtilityProcess in the app, in-memory ports in the
// tests). The messages and the host's end are src/core/host.ts. No electron import.
import type { FromHost, ToHost } from '../core/host';
import type { EngineMessage } from '../core/service';
import { ENGINE_METHODS, type EngineApi, type EngineMethod, IPC } from '../shared/ipc';

export { argValue, type FromHost, type HostedEngine, type HostPort, serveEngine, type ToHost } from '../core/host';

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
// The forwarders (one per 'engine' row of the IPC table) are made in the constructor; this declares them.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface EngineClient extends EngineApi {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class EngineClient {
  private child: ChildPort | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(m: EngineMessage) => void>();
  private readonly running = new Map<string, 'job' | 'refine'>();
  private readonly ended = new Set<string>(); // jobs whose 'done' was seen (bounded), so a late result does not revive them

  constructor(private readonly spawn: () => ChildPort) {
    // one forwarder per engine method of the table; a method that starts a job also tracks it (see stopped())
    for (const method of ENGINE_METHODS) {
      const starts = (IPC[method] as { starts?: 'job' | 'refine' }).starts;
      const forward = async (...args: unknown[]) => {
        const r = await this.call(method, args as never);
        if (starts) this.track((r as { jobId: string }).jobId, starts);
        return r;
      };
      Object.defineProperty(this, method, { value: forward, enumerable: true });
    }
  }

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
}
