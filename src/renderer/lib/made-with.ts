// What a restored result was made with, for people: the settings that change how it looks, as a key to tell whether
// the current settings would make another result ("out of date"), and in words under the photo.
import type { RestoreSettings } from '../../shared/types';

/** The settings that change the picture (not where it runs, nor how big the tiles are). */
export function lookKey(s: RestoreSettings): string {
  const tone = s.stages?.tone;
  const grain = s.stages?.local?.keepGrain === true;
  const adapt = s.stages?.local?.adapt !== false;
  return JSON.stringify([s.modelId ?? '', s.strength, tone?.enabled ?? true, tone?.strength ?? null, tone?.mode ?? null, grain, adapt]);
}

/**
 * "Natural texture · strength 80% (28% for this photo) · colour & fading 50%" (model names from the installed models,
 * by id; `amount`: how much of the network's change the engine judged the photo needs, when it adapted).
 */
export function madeWithWords(s: RestoreSettings, modelName: (id: string) => string | undefined, amount?: number | null): string {
  const parts: string[] = [];
  if (s.modelId) parts.push(modelName(s.modelId) ?? s.modelId);
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  const adapt = s.stages?.local?.adapt !== false;
  if (!adapt) parts.push(`strength ${pct(s.strength)} (fixed)`);
  else if (amount !== undefined && amount !== null && amount < 1) parts.push(`strength ${pct(s.strength)} (${pct(s.strength * amount)} for this photo)`);
  else parts.push(`strength ${pct(s.strength)}`);
  const tone = s.stages?.tone;
  if (tone && tone.enabled !== false && tone.strength !== undefined) {
    parts.push(tone.strength > 0 ? `colour & fading ${Math.round(tone.strength * 100)}%` : 'colour & fading off');
  }
  if (s.stages?.local?.keepGrain) parts.push('film grain kept');
  return parts.join(' · ');
}
