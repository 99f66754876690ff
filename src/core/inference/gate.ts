// InferenceGate: one heavy inference at a time for the whole engine. Restore takes it per file, refine per job, in
// the order they asked (first come, first served), so a refine started during a batch waits for the file being
// restored, and a second refine waits for the first, instead of both fighting over the same cores.
// Plain Node (no Electron); EngineService owns one, a RefineRunner without one makes its own.
import { CancelledError } from '../cancel';

export type GateUser = 'restore' | 'refine';

/** Where a waiter stands: who holds the gate now, and how many are before it in the line (0 = next). */
export interface GateWait {
  holder: GateUser;
  ahead: number;
}

export interface AcquireOptions {
  /** Aborting while waiting leaves the line at once and rejects with an AbortError. */
  signal?: AbortSignal;
  /** Called when the caller has to wait, and again whenever its place in the line or the holder changes. */
  onWait?: (w: GateWait) => void;
}

interface Waiter {
  user: GateUser;
  go: () => void;
  onWait?: (w: GateWait) => void;
  last?: string;
}

const abortError = (): Error => new CancelledError();

export class InferenceGate {
  private holder: GateUser | null = null;
  private readonly line: Waiter[] = [];

  /** Who holds the gate now (null = free). */
  get heldBy(): GateUser | null {
    return this.holder;
  }

  /** How many wait for it. */
  get waiting(): number {
    return this.line.length;
  }

  /** Resolves with a release function once it is the caller's turn. Call the release exactly once (extra calls are ignored). */
  acquire(user: GateUser, opts: AcquireOptions = {}): Promise<() => void> {
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortError());
    if (this.holder === null && this.line.length === 0) {
      this.holder = user;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        user,
        onWait: opts.onWait,
        go: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const i = this.line.indexOf(w);
        if (i < 0) return;
        this.line.splice(i, 1);
        reject(abortError());
        this.tell();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.line.push(w);
      this.tell();
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.line.shift();
      this.holder = next ? next.user : null;
      next?.go();
      this.tell();
    };
  }

  /** Tells every waiter whose place or holder changed where it stands now. */
  private tell(): void {
    const holder = this.holder;
    if (holder === null) return;
    this.line.forEach((w, ahead) => {
      const key = `${holder}:${ahead}`;
      if (w.last === key) return;
      w.last = key;
      try {
        w.onWait?.({ holder, ahead });
      } catch {
        // a listener's failure is not the gate's
      }
    });
  }
}
