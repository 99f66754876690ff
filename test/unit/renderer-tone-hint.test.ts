// The viewer's "Looks faded" hint (src/renderer/lib/faded-hint.ts looksFaded): shown for a photo the tone model finds
// faded (its amount at or over FADED_HINT) while Colour & fading is off, never while it is on or without a mapping.
import { describe, expect, it } from 'vitest';
import { FADED_HINT, looksFaded } from '../../src/renderer/lib/faded-hint';
import type { ToneInfo } from '../../src/shared/tone';

const info = (amount: number) => ({ amount }) as ToneInfo;

describe('looksFaded', () => {
  it('says so from the hint amount up, only with the stage off', () => {
    const off = { strength: 0, mode: 'auto' as const };
    expect(looksFaded(info(FADED_HINT), off)).toBe(true);
    expect(looksFaded(info(1), off)).toBe(true);
    expect(looksFaded(info(FADED_HINT - 0.01), off)).toBe(false);
    expect(looksFaded(info(1), { ...off, strength: 0.3 })).toBe(false);
    expect(looksFaded(undefined, off)).toBe(false);
  });
});
