// The app-wide keyboard shortcuts (issue 15): the same key means the same thing wherever the focus is, except that a
// text field keeps its typing and its own undo, and a slider or menu keeps its arrows and Space.
import { describe, expect, it } from 'vitest';
import { commandFor, forPlatform, type KeyPress, SHORTCUTS } from '../../src/renderer/lib/shortcuts';

const key = (k: string, mods: Partial<KeyPress> = {}): KeyPress => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe('keyboard shortcuts', () => {
  it('open photos, add a folder, restore and switch mode with Ctrl or Cmd, even in a text field', () => {
    for (const focus of ['other', 'control', 'text'] as const) {
      expect(commandFor(key('o', { ctrlKey: true }), focus)).toBe('add-photos');
      expect(commandFor(key('O', { metaKey: true, shiftKey: true }), focus)).toBe('add-folder');
      expect(commandFor(key('Enter', { ctrlKey: true }), focus)).toBe('restore');
      expect(commandFor(key('2', { ctrlKey: true }), focus)).toBe('mode-refine');
      expect(commandFor(key('Escape'), focus)).toBe('escape');
    }
  });

  it('undo and redo strokes whatever has the focus, but a text field keeps its own', () => {
    expect(commandFor(key('z', { ctrlKey: true }), 'other')).toBe('undo');
    expect(commandFor(key('z', { ctrlKey: true }), 'control')).toBe('undo'); // a button or slider was clicked last
    expect(commandFor(key('Z', { metaKey: true, shiftKey: true }), 'control')).toBe('redo');
    expect(commandFor(key('y', { ctrlKey: true }), 'other')).toBe('redo');
    expect(commandFor(key('z', { ctrlKey: true }), 'text')).toBeNull();
  });

  it('the list: arrows, Delete; Space holds the original; ? lists the shortcuts', () => {
    expect(commandFor(key('ArrowDown'), 'other')).toBe('next');
    expect(commandFor(key('ArrowUp'), 'other')).toBe('previous');
    expect(commandFor(key('Delete'), 'other')).toBe('remove');
    expect(commandFor(key('Backspace'), 'other')).toBe('remove');
    expect(commandFor(key(' '), 'other')).toBe('peek');
    expect(commandFor(key('s'), 'other')).toBe('side-by-side');
    expect(commandFor(key('?', { shiftKey: true }), 'other')).toBe('shortcuts');
    expect(commandFor(key('?', { shiftKey: true }), 'control')).toBe('shortcuts');
    // a slider keeps its arrows, a button its Space, a text field its letters
    expect(commandFor(key('ArrowDown'), 'control')).toBeNull();
    expect(commandFor(key(' '), 'control')).toBeNull();
    expect(commandFor(key('Backspace'), 'text')).toBeNull();
    expect(commandFor(key('s'), 'text')).toBeNull();
    expect(commandFor(key('?'), 'text')).toBeNull();
  });

  it('lists every shortcut, with Cmd for Ctrl on macOS', () => {
    expect(SHORTCUTS.length).toBeGreaterThan(15);
    expect(forPlatform('Ctrl+Shift+O', true)).toBe('⌘Shift+O');
    expect(forPlatform('Ctrl+Shift+O', false)).toBe('Ctrl+Shift+O');
  });
});
