// What running jobs do to the desktop: the taskbar/dock progress bar follows the overall progress, and the computer
// is kept from sleeping while any restore or refine job runs. Pure logic over injected functions (main passes
// win.setProgressBar and powerSaveBlocker), so the tests check it without Electron.
import type { EngineMessage } from '../core/service';

export interface DesktopHooks {
  /** 0..1 shows a bar; -1 removes it (BrowserWindow.setProgressBar). */
  setProgress(fraction: number, mode?: 'normal' | 'error'): void;
  /** Starts preventing sleep; returns an id (powerSaveBlocker.start('prevent-app-suspension')). */
  blockSleep(): number;
  unblockSleep(id: number): void;
}

export class JobEffects {
  private readonly active = new Map<string, number>(); // jobId -> fraction
  private blocker: number | null = null;

  constructor(private readonly hooks: DesktopHooks) {}

  private update(): void {
    if (this.active.size === 0) {
      if (this.blocker !== null) this.hooks.unblockSleep(this.blocker);
      this.blocker = null;
      this.hooks.setProgress(-1);
      return;
    }
    if (this.blocker === null) this.blocker = this.hooks.blockSleep();
    const fractions = [...this.active.values()];
    this.hooks.setProgress(fractions.reduce((a, b) => a + b, 0) / fractions.length);
  }

  handle(m: EngineMessage): void {
    const e = m.event;
    const id = `${m.channel}:${e.jobId}`;
    if (e.type === 'done') {
      if (!this.active.delete(id)) return;
      this.update();
      return;
    }
    const prev = this.active.get(id) ?? 0;
    let fraction = prev;
    if (m.channel === 'job' && e.type === 'progress') fraction = e.fraction;
    else if (m.channel === 'refine' && e.type === 'step') fraction = e.fraction;
    const isNew = !this.active.has(id);
    this.active.set(id, Math.min(1, Math.max(0, fraction)));
    if (isNew || fraction !== prev) this.update();
  }

  /** Releases the sleep blocker and clears the bar (app quit). */
  dispose(): void {
    this.active.clear();
    this.update();
  }

  get sleepBlocked(): boolean {
    return this.blocker !== null;
  }
}
