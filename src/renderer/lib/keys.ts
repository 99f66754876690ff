// The app-wide keyboard and the menu's commands, wired to the state: one place that says what each command does in
// Restore and in Refine (src/renderer/lib/shortcuts.ts says which key is which command).
import type { AppState } from './app.svelte';
import type { RefineState } from '../refine/refine.svelte';
import { commandFor, type FocusKind, type KeyCommand } from './shortcuts';

/** What kind of element has the focus: a text field keeps its keys, a slider or menu its arrows and Space. */
export function focusKind(el: Element | null): FocusKind {
  if (!el) return 'other';
  if (el instanceof HTMLTextAreaElement || (el as HTMLElement).isContentEditable) return 'text';
  if (el instanceof HTMLInputElement) {
    return ['range', 'color', 'checkbox', 'radio'].includes(el.type) ? 'control' : 'text';
  }
  if (el instanceof HTMLSelectElement) return 'control';
  return 'other';
}

export class Commands {
  constructor(
    private readonly app: AppState,
    private readonly refine: RefineState,
  ) {}

  /** Runs a command of the menu or the keyboard; false when it means nothing now. */
  run(c: KeyCommand): boolean {
    const { app, refine } = this;
    switch (c) {
      case 'add-photos':
        if (app.running) return false;
        app.pickPhotos();
        return true;
      case 'add-folder':
        if (app.running) return false;
        void app.addFolder();
        return true;
      case 'restore':
        if (app.mode === 'refine') void refine.run();
        else void app.start();
        return true;
      case 'remove':
        if (app.mode !== 'restore' || app.selectedId === null || app.running) return false;
        app.remove(app.selectedId);
        return true;
      case 'undo':
      case 'redo':
        if (app.mode !== 'refine') {
          if (!app.edits) return false;
          app.edits[c]();
          return true;
        }
        refine[c]();
        return true;
      case 'mode-restore':
      case 'mode-refine':
        app.mode = c === 'mode-restore' ? 'restore' : 'refine';
        return true;
      case 'side-by-side':
        app.sideBySide = !app.sideBySide;
        return true;
      case 'shortcuts':
        app.showShortcuts = !app.showShortcuts;
        return true;
      case 'peek':
        app.peek = true;
        return true;
      case 'previous':
      case 'next':
        return app.mode === 'restore' && app.step(c === 'next' ? 1 : -1);
      case 'escape':
        return this.escape();
    }
  }

  /** Escape closes what is open (the shortcuts, a question), else cancels what runs in this mode. */
  private escape(): boolean {
    const { app, refine } = this;
    if (app.showShortcuts) app.showShortcuts = false;
    else if (app.notice?.actions?.length) app.notice = null;
    else if (app.mode === 'refine' && refine.job) void refine.cancel();
    else if (app.mode === 'refine' && refine.compare) refine.compare = false;
    else if (app.running) void app.cancel();
    else if (app.notice) app.notice = null;
    else return false;
    return true;
  }

  /** window keydown: the command of the key, wherever the focus is (unless an element handled it already). */
  keydown(e: KeyboardEvent): void {
    if (e.defaultPrevented) return;
    const c = commandFor(e, focusKind(document.activeElement));
    if (!c) return;
    if (c === 'peek' && e.repeat) {
      e.preventDefault();
      return;
    }
    if (this.run(c)) e.preventDefault();
  }

  /** window keyup / blur: Space let go shows the result again. */
  keyup(e: KeyboardEvent | null): void {
    if (!e || e.key === ' ') this.app.peek = false;
  }
}
