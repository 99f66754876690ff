// The viewer's "Looks faded" hint: Colour & fading is off by default (it cannot tell a faded print from a dim camera
// shot, docs/training/tone.md), so a photo the tone model finds faded says so, with a one-click "Bring back colour".
// Pure (no DOM), so Node tests run it.
import type { ToneInfo } from '../../shared/tone';

/**
 * The tone model's amount (how sure it is the photo is a faded or cast print) from which the viewer says "Looks
 * faded" while Colour & fading is off. Only a hint: on the real old photos tone-v1 gives 0.49-1 to the faded colour
 * prints, 0 to the rest; on clean photos and dim camera shots it is wrong often enough that the stage stays off by
 * default (docs/training/tone.md).
 */
export const FADED_HINT = 0.5;

/** Whether to offer to bring back a photo's colour: it looks faded to the tone model, and the stage is off. */
export function looksFaded(info: ToneInfo | undefined, choice: { strength: number }): boolean {
  return !!info && info.amount >= FADED_HINT && choice.strength === 0;
}

