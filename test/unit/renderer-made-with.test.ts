// What a restored result was made with (issue 15): the settings that change the picture decide "out of date"; where
// it ran, the tiles and the output format do not; and the words under the photo.
import { describe, expect, it } from 'vitest';
import { lookKey, madeWithWords } from '../../src/renderer/lib/made-with';
import type { RestoreSettings } from '../../src/shared/types';

const base: RestoreSettings = {
  modelId: 'restore-naf32-v2',
  device: 'auto',
  strength: 0.8,
  format: 'same',
  quality: 92,
  stages: { tone: { strength: 0.5, mode: 'auto' } },
};

describe('made with', () => {
  it('the model, the strength and colour & fading make another picture; the device, tiles and format do not', () => {
    const k = lookKey(base);
    expect(lookKey({ ...base, device: 'cpu', tile: 256, format: 'png', quality: 80 })).toBe(k);
    expect(lookKey({ ...base, modelId: 'restore-naf32-natural-v3' })).not.toBe(k);
    expect(lookKey({ ...base, strength: 0.5 })).not.toBe(k);
    expect(lookKey({ ...base, stages: { tone: { strength: 0.2, mode: 'auto' } } })).not.toBe(k);
    expect(lookKey({ ...base, stages: { tone: { strength: 0.5, mode: 'keep' } } })).not.toBe(k);
    const grain = { ...base, stages: { ...base.stages, local: { keepGrain: true } } };
    expect(lookKey(grain)).not.toBe(k);
    expect(madeWithWords(grain, () => 'Clean')).toBe('Clean · strength 80% · colour & fading 50% · film grain kept');
    // adapting to each photo is the default; the strength as given is another picture
    const fixed = { ...base, stages: { ...base.stages, local: { adapt: false } } };
    expect(lookKey({ ...base, stages: { ...base.stages, local: { adapt: true } } })).toBe(k);
    expect(lookKey(fixed)).not.toBe(k);
    expect(madeWithWords(fixed, () => 'Clean')).toBe('Clean · strength 80% (fixed) · colour & fading 50%');
  });

  it("says how much the photo got when the engine adapted the strength to it", () => {
    expect(madeWithWords(base, () => 'Clean', 0.25)).toBe('Clean · strength 80% (20% for this photo) · colour & fading 50%');
    expect(madeWithWords(base, () => 'Clean', 1)).toBe('Clean · strength 80% · colour & fading 50%');
    expect(madeWithWords(base, () => 'Clean', null)).toBe('Clean · strength 80% · colour & fading 50%');
  });

  it('says it in words, with the model by its name', () => {
    const names: Record<string, string> = { 'restore-naf32-v2': 'Clean' };
    expect(madeWithWords(base, (id) => names[id])).toBe('Clean · strength 80% · colour & fading 50%');
    expect(madeWithWords({ ...base, stages: { tone: { strength: 0 } } }, (id) => names[id])).toBe('Clean · strength 80% · colour & fading off');
  });
});
