// A finished batch while Revive is not the window in front: an OS notification with the counts and the taskbar
// asking for attention (flashFrame; the dock bounces on macOS), stopped when the window is focused again. Pure logic
// over injected functions (main passes Notification and the window's methods), tested without Electron.
import type { EngineMessage } from '../core/service';
import type { JobSummary } from '../shared/types';

export interface AttentionHooks {
  isFocused(): boolean;
  /** Shows an OS notification; clicking it calls onClick. */
  notify(title: string, body: string, onClick: () => void): void;
  /** Starts (true) or stops (false) asking for attention in the taskbar. */
  flash(on: boolean): void;
  /** Brings the window to the front (the notification was clicked). */
  focus(): void;
}

/** The notification's words for a finished batch: "3 photos restored, 1 failed." */
export function batchWords(s: JobSummary): { title: string; body: string } {
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  const parts: string[] = [];
  if (s.ok) parts.push(`${n(s.ok, 'photo')} restored`);
  if (s.skipped) parts.push(`${s.skipped} already done`);
  if (s.failed) parts.push(`${s.failed} failed`);
  if (s.cancelled) parts.push(`${s.cancelled} cancelled`);
  const title = s.cancelled && !s.ok ? 'Restoring cancelled' : s.failed ? 'Restoring finished, with problems' : 'Restoring finished';
  return { title, body: parts.length ? `${parts.join(', ')}.` : 'No photos to restore.' };
}

export class BatchAttention {
  private flashing = false;

  constructor(private readonly hooks: AttentionHooks) {}

  handle(m: EngineMessage): void {
    if (m.channel !== 'job' || m.event.type !== 'done' || this.hooks.isFocused()) return;
    const { title, body } = batchWords(m.event.summary);
    this.hooks.notify(title, body, () => this.hooks.focus());
    this.hooks.flash(true);
    this.flashing = true;
  }

  /** The window got the focus: stop asking for attention. */
  focused(): void {
    if (!this.flashing) return;
    this.flashing = false;
    this.hooks.flash(false);
  }
}
