// Closing or reloading the window must not drop a person's work without asking ("nothing of the user's is ever
// lost"). leaveWarning says in words what leaving now would lose (null = nothing); LeaveGuard holds a beforeunload
// handler that prevents the unload exactly while there is something, and reports the words to main, whose
// will-prevent-unload dialog ("Leave Revive?", src/main/leave.ts) shows them and lets the page go only on Leave.
// No Svelte, no DOM globals: unit-tested in Node (test/unit/renderer-leave.test.ts).
import { plural } from './format';

/** What the page holds that leaving would lose. */
export interface LeaveState {
  /** Photos with refine work that would be lost, and what in words (refine/sessions.ts unsavedWords). */
  refine: readonly { name: string; words: string }[];
  /** The restore batch running: photos finished and in all (null = none running). */
  restore: { done: number; total: number } | null;
}

/** How many photos' refine work the words name one by one; the rest are counted. */
const MOST_NAMED = 5;

/**
 * What leaving the page now would lose, in words, or null when nothing would be: "Refine work would be lost: h.png
 * (1 refine round not saved and strokes not refined yet). A restore is still running (3 of 10 photos done)."
 */
export function leaveWarning(s: LeaveState): string | null {
  const parts: string[] = [];
  const refine = s.refine.filter((r) => r.words);
  if (refine.length) {
    const named = refine.slice(0, MOST_NAMED).map((r) => `${r.name} (${r.words})`);
    const more = refine.length - named.length;
    parts.push(`Refine work would be lost: ${named.join('; ')}${more > 0 ? `; and ${plural(more, 'more photo')}` : ''}.`);
  }
  if (s.restore) {
    const { done, total } = s.restore;
    parts.push(`A restore is still running (${done} of ${plural(total, 'photo')} done).`);
  }
  return parts.length ? parts.join(' ') : null;
}

/**
 * The words with the photos whose corrections of what was fixed (Show what was fixed) are not filled yet added:
 * "… Corrections of what was fixed are not filled yet: a.png, b.png."
 */
export function withUnfilledCorrections(words: string | null, names: readonly string[]): string | null {
  if (!names.length) return words;
  const named = names.slice(0, MOST_NAMED).join(', ');
  const more = names.length - Math.min(names.length, MOST_NAMED);
  const part = `Corrections of what was fixed are not filled yet: ${named}${more > 0 ? ` and ${plural(more, 'more photo')}` : ''}.`;
  return words ? `${words} ${part}` : part;
}

/** The part of window (or any EventTarget) the guard needs. */
export type UnloadTarget = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;

/**
 * Keeps a beforeunload handler on `target` while there is something to lose: it calls preventDefault() (and sets
 * the legacy returnValue), which makes Chromium refuse the unload and Electron emit will-prevent-unload in main.
 * `report` gets the words every time they change (and once at the start, so main never holds a previous page's).
 */
export class LeaveGuard {
  private summary: string | null = null;
  private reported = false;
  private readonly handler = (e: Event): void => {
    if (!this.summary) return;
    e.preventDefault();
    (e as unknown as { returnValue: unknown }).returnValue = this.summary; // BeforeUnloadEvent's, for older engines
  };

  constructor(
    private readonly target: UnloadTarget,
    private readonly report: (summary: string | null) => void = () => undefined,
  ) {}

  /** Whether the handler is on (leaving would lose something). */
  get active(): boolean {
    return !!this.summary;
  }

  /** The words of what leaving would lose (null or '' = nothing): adds or removes the handler to match. */
  set(summary: string | null): void {
    const next = summary || null;
    if (this.reported && next === this.summary) return;
    const was = this.active;
    this.summary = next;
    if (!was && this.active) this.target.addEventListener('beforeunload', this.handler);
    if (was && !this.active) this.target.removeEventListener('beforeunload', this.handler);
    this.reported = true;
    this.report(next);
  }

  /** Removes the handler (the page is going away for good). */
  dispose(): void {
    if (this.active) this.target.removeEventListener('beforeunload', this.handler);
    this.summary = null;
  }
}
