// Closing or reloading the window with something to lose (src/renderer/lib/leave.ts): the words that say what
// (refine work not saved, a restore still running), and the guard that holds a beforeunload handler exactly while
// there is something, preventing the unload, and reports the words to main.
import { describe, expect, it, vi } from 'vitest';
import { LeaveGuard, leaveWarning, withUnfilledCorrections } from '../../src/renderer/lib/leave';
import { unsavedWords } from '../../src/renderer/refine/sessions';

/** Dispatches a beforeunload as the page gets it: cancelable, with the legacy returnValue a handler may set. */
const unload = (target: EventTarget) => {
  const e = new Event('beforeunload', { cancelable: true });
  Object.defineProperty(e, 'returnValue', { value: '', writable: true });
  target.dispatchEvent(e);
  return e as Event & { returnValue: unknown };
};

describe('leaveWarning', () => {
  it('is null when nothing would be lost', () => {
    expect(leaveWarning({ refine: [], restore: null })).toBeNull();
    expect(leaveWarning({ refine: [{ name: 'a.png', words: '' }], restore: null })).toBeNull();
  });

  it("names each photo's refine work that would be lost, in the words the other questions use", () => {
    const words = unsavedWords({ unsavedRounds: 2, strokes: true, busy: false })!;
    expect(leaveWarning({ refine: [{ name: 'h.png', words }], restore: null })).toBe(
      'Refine work would be lost: h.png (2 refine rounds not saved and strokes not refined yet).',
    );
    expect(
      leaveWarning({
        refine: [
          { name: 'h.png', words: '1 refine round not saved' },
          { name: 'g.png', words: 'a refine in progress' },
        ],
        restore: null,
      }),
    ).toBe('Refine work would be lost: h.png (1 refine round not saved); g.png (a refine in progress).');
  });

  it('counts the photos past the first five', () => {
    const refine = Array.from({ length: 8 }, (_, i) => ({ name: `${i}.png`, words: 'strokes not refined yet' }));
    const w = leaveWarning({ refine, restore: null })!;
    expect(w).toMatch(/^Refine work would be lost: 0.png \(strokes not refined yet\);.* 4.png \(strokes not refined yet\); and 3 more photos\.$/);
    expect(w).not.toMatch(/5.png/);
    expect(leaveWarning({ refine: refine.slice(0, 6), restore: null })).toMatch(/; and 1 more photo\.$/);
  });

  it('says when a restore is still running, alone or after the refine work', () => {
    expect(leaveWarning({ refine: [], restore: { done: 3, total: 10 } })).toBe(
      'A restore is still running (3 of 10 photos done).',
    );
    expect(leaveWarning({ refine: [], restore: { done: 0, total: 1 } })).toBe('A restore is still running (0 of 1 photo done).');
    expect(leaveWarning({ refine: [{ name: 'a.png', words: 'a refine in progress' }], restore: { done: 1, total: 2 } })).toBe(
      'Refine work would be lost: a.png (a refine in progress). A restore is still running (1 of 2 photos done).',
    );
  });
});

describe('withUnfilledCorrections', () => {
  it('adds the photos whose corrections of what was fixed are not filled yet', () => {
    expect(withUnfilledCorrections(null, [])).toBeNull();
    expect(withUnfilledCorrections('A restore is still running (1 of 2 photos done).', [])).toBe(
      'A restore is still running (1 of 2 photos done).',
    );
    expect(withUnfilledCorrections(null, ['a.png', 'b.png'])).toBe('Corrections of what was fixed are not filled yet: a.png, b.png.');
    const many = ['1', '2', '3', '4', '5', '6', '7'].map((n) => `${n}.png`);
    expect(withUnfilledCorrections('X.', many)).toBe(
      'X. Corrections of what was fixed are not filled yet: 1.png, 2.png, 3.png, 4.png, 5.png and 2 more photos.',
    );
  });
});

describe('LeaveGuard', () => {
  it('prevents unload only while there is something to lose, and reports the words when they change', () => {
    const target = new EventTarget();
    const add = vi.spyOn(target, 'addEventListener');
    const remove = vi.spyOn(target, 'removeEventListener');
    const report = vi.fn();
    const guard = new LeaveGuard(target, report);

    guard.set(null); // reported once at the start, so main never keeps an earlier page's words
    expect(report.mock.calls).toEqual([[null]]);
    expect(guard.active).toBe(false);
    expect(unload(target).defaultPrevented).toBe(false);

    guard.set('Refine work would be lost: a.png (strokes not refined yet).');
    expect(guard.active).toBe(true);
    const e = unload(target);
    expect(e.defaultPrevented).toBe(true);
    expect(e.returnValue).toBe('Refine work would be lost: a.png (strokes not refined yet).');

    guard.set('Refine work would be lost: a.png (strokes not refined yet).'); // unchanged: nothing happens
    guard.set('Refine work would be lost: a.png (1 refine round not saved).'); // new words, same handler
    expect(add).toHaveBeenCalledTimes(1);
    expect(unload(target).defaultPrevented).toBe(true);

    guard.set(''); // nothing to lose: the handler goes
    expect(remove).toHaveBeenCalledTimes(1);
    expect(unload(target).defaultPrevented).toBe(false);
    guard.set(null);
    expect(report.mock.calls).toEqual([
      [null],
      ['Refine work would be lost: a.png (strokes not refined yet).'],
      ['Refine work would be lost: a.png (1 refine round not saved).'],
      [null],
    ]);
  });

  it('reports its first words even when there is something to lose from the start, and lets go on dispose', () => {
    const target = new EventTarget();
    const report = vi.fn();
    const guard = new LeaveGuard(target, report);
    guard.set('A restore is still running (0 of 2 photos done).');
    expect(report).toHaveBeenCalledWith('A restore is still running (0 of 2 photos done).');
    expect(unload(target).defaultPrevented).toBe(true);
    guard.dispose();
    expect(unload(target).defaultPrevented).toBe(false);
    expect(guard.active).toBe(false);
  });
});
