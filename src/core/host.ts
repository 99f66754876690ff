// The engine served over a port: the messages between Electron's main process and the utility process that hosts the
// EngineService, and the host's end (main's end is EngineClient in src/main/engine-protocol.ts). Works over any
// port-like object (process.parentPort in the app, in-memory ports in the tests); no electron import. Messages are
// structured-cloned, so Uint8Array passes as is.
import { type EngineApi, type EngineMethod, isEngineMethod } from '../shared/ipc';
import type { EngineMessage } from './service';

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

/** `--name=value` from an argument list (the utility process's process.argv). */
export function argValue(argv: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  const hit = argv.find((a) => a.startsWith(prefix));
  return hit === undefined ? undefined : hit.slice(prefix.length);
}
