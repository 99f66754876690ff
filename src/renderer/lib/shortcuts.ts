// The app's keyboard shortcuts, app-wide: what a key press means wherever the focus is, and the list the ? dialog
// shows. Pure (a key press in, a command out), unit-tested without a DOM. A text field keeps its own keys (typing,
// its own undo); a focused slider or menu keeps the arrows; the painting surface and the comparison handle their own
// keys first (they call preventDefault, and what they handled is not handled again here).
import type { AppCommand } from '../../shared/api';

/** What a key does: a menu command, or one of the keys only the keyboard has. */
export type KeyCommand = AppCommand | 'peek' | 'escape' | 'previous' | 'next';

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  repeat?: boolean;
}

/** What has the focus, as far as the keys are concerned. */
export type FocusKind = 'text' | 'control' | 'other';

/** Ctrl on Windows and Linux, Cmd on macOS (either is accepted). */
const mod = (e: KeyPress) => e.ctrlKey || e.metaKey;

export function commandFor(e: KeyPress, focus: FocusKind): KeyCommand | null {
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (k === 'Escape') return 'escape';
  if (mod(e) && !e.altKey) {
    if (k === 'o') return e.shiftKey ? 'add-folder' : 'add-photos';
    if (k === 'Enter') return 'restore';
    if (k === '1') return 'mode-restore';
    if (k === '2') return 'mode-refine';
    if (focus === 'text') return null; // the field's own undo and redo
    if (k === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (k === 'y') return 'redo';
    return null;
  }
  if (focus === 'text' || e.altKey) return null;
  if (k === '?') return 'shortcuts';
  if (focus === 'control') return null; // sliders, menus and buttons keep their keys (arrows, Space)
  if (k === ' ') return 'peek';
  if (k === 'ArrowDown') return 'next';
  if (k === 'ArrowUp') return 'previous';
  if (k === 'Delete' || k === 'Backspace') return 'remove';
  if (k === 's' && !e.shiftKey) return 'side-by-side';
  return null;
}

/** The ? dialog: every shortcut in words (Ctrl shown as Cmd on macOS). */
export const SHORTCUTS: { group: string; keys: string; what: string }[] = [
  { group: 'Photos', keys: 'Ctrl+O', what: 'Add photos' },
  { group: 'Photos', keys: 'Ctrl+Shift+O', what: 'Add a folder of photos' },
  { group: 'Photos', keys: '↑ ↓', what: 'Previous or next photo in the list' },
  { group: 'Photos', keys: 'Delete', what: 'Remove the photo from the list' },
  { group: 'Photos', keys: 'Ctrl+Enter', what: 'Restore' },
  { group: 'Photos', keys: 'Escape', what: 'Cancel what is running, or close this list' },
  { group: 'Viewing', keys: 'Space (hold)', what: 'See the original' },
  { group: 'Viewing', keys: 'S', what: 'Side by side, or one over the other' },
  { group: 'Viewing', keys: '← →', what: 'Move the dividing line' },
  { group: 'Viewing', keys: 'F or 0', what: 'Fit the photo in the window' },
  { group: 'Viewing', keys: '1', what: 'Actual size (100%)' },
  { group: 'Viewing', keys: '+ −', what: 'Zoom in or out' },
  { group: 'Refine', keys: 'Ctrl+Z', what: 'Undo a stroke' },
  { group: 'Refine', keys: 'Ctrl+Shift+Z', what: 'Redo a stroke' },
  { group: 'Refine', keys: 'B  C  E  I', what: 'Brush, colour brush, eraser, pick a colour' },
  { group: 'Refine', keys: '[  ]', what: 'Smaller or larger brush' },
  { group: 'Refine', keys: 'M', what: 'Mask only' },
  { group: 'Refine', keys: 'Space + drag', what: 'Move the photo while painting' },
  { group: 'App', keys: 'Ctrl+1  Ctrl+2', what: 'Restore or Refine' },
  { group: 'App', keys: '?', what: 'This list' },
];

/** The shortcut in the keys of this computer: Cmd for Ctrl on macOS. */
export function forPlatform(keys: string, mac: boolean): string {
  return mac ? keys.replace(/Ctrl\+/g, '⌘') : keys;
}
