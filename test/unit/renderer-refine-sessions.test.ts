// Refine's per-photo work kept for the session (src/renderer/refine/sessions.ts): what it costs in memory, which
// photos' work is let go of past the budget, and the words that say what would be lost.
import { describe, expect, it } from 'vitest';
import { nameList, toEvict, unsavedWords, workBytes, type WorkInfo } from '../../src/renderer/refine/sessions';

const work = (key: string, over: Partial<WorkInfo> = {}): WorkInfo => ({
  key,
  name: key,
  width: 100,
  height: 50,
  pictureBytes: 1000,
  hasLayers: false,
  historyBytes: 0,
  rounds: 0,
  unsavedRounds: 0,
  strokes: false,
  busy: false,
  lastUsed: 0,
  ...over,
});

describe('refine work in memory', () => {
  it('costs its pictures, plus four RGBA canvases the photo size and the undo history while layers are held', () => {
    expect(workBytes(work('a'))).toBe(1000);
    expect(workBytes(work('a', { hasLayers: true, historyBytes: 500 }))).toBe(1000 + 4 * 4 * 100 * 50 + 500);
  });

  it('nothing is let go of within the budget', () => {
    const works = [work('a'), work('b'), work('c')];
    expect(toEvict(works, 3000, 'a')).toEqual([]);
  });

  it('past the budget: least recently used first, until it fits', () => {
    const works = [work('a', { lastUsed: 3 }), work('b', { lastUsed: 1 }), work('c', { lastUsed: 2 }), work('d', { lastUsed: 4 })];
    expect(toEvict(works, 3000, 'd').map((w) => w.key)).toEqual(['b']);
    expect(toEvict(works, 1500, 'd').map((w) => w.key)).toEqual(['b', 'c', 'a']);
  });

  it('never the photo on screen nor one whose refine runs or waits (even if that leaves it over budget)', () => {
    const works = [work('a', { lastUsed: 1, busy: true }), work('b', { lastUsed: 2 }), work('c', { lastUsed: 0 })];
    expect(toEvict(works, 0, 'c').map((w) => w.key)).toEqual(['b']);
  });

  it('big layers count: the held canvases are what pushes past the budget', () => {
    const big = work('big', { width: 4000, height: 3000, hasLayers: true, lastUsed: 1 });
    const small = work('small', { lastUsed: 0 });
    expect(toEvict([big, small, work('on', { lastUsed: 2 })], 100 * 1024 * 1024, 'on').map((w) => w.key)).toEqual(['small', 'big']);
  });
});

describe('what would be lost, in words', () => {
  it('nothing to say when everything is saved and nothing is painted', () => {
    expect(unsavedWords({ unsavedRounds: 0, strokes: false, busy: false })).toBeNull();
  });

  it('rounds, strokes and a running refine', () => {
    expect(unsavedWords({ unsavedRounds: 1, strokes: false, busy: false })).toBe('1 refine round not saved');
    expect(unsavedWords({ unsavedRounds: 2, strokes: true, busy: false })).toBe('2 refine rounds not saved and strokes not refined yet');
    expect(unsavedWords({ unsavedRounds: 2, strokes: true, busy: true })).toBe(
      '2 refine rounds not saved, strokes not refined yet and a refine in progress',
    );
    expect(unsavedWords({ unsavedRounds: 0, strokes: true, busy: false })).toBe('strokes not refined yet');
  });

  it('lists names', () => {
    expect(nameList([])).toBe('');
    expect(nameList(['a.png'])).toBe('a.png');
    expect(nameList(['a.png', 'b.png'])).toBe('a.png and b.png');
    expect(nameList(['a', 'b', 'c'])).toBe('a, b and c');
    expect(nameList(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c and 2 more');
  });
});
