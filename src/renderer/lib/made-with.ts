// What a restored result was made with, for people: the settings that change how it looks, as a key to tell whether
// the current settings would make another result ("out of date"), and in words under the photo.
import type { RestoreSettings } from '../../shared/types';

/** The settings that change the picture (not where it runs, nor how big the tiles are). */
export function lookKey(s: RestoreSettings): string {
  const tone = s.stages?.tone;
  const grain = s.stages?.local?.keepGrain === true;
  return JSON.stringify([s.modelId ?? '', s.strength, tone?.enabled ?? true, tone?.strength ?? null, tone?.mode ?? null, grain]);
}

/** "Natural texture · strength 80% · colour & fading 50%" (model names from the installed models, by id). */
export function madeWithWords(s: RestoreSettings, modelName: (id: string) => string | undefined): string {
  const parts: string[] = [];
  if (s.modelId) parts.push(modelName(s.modelId) ?? s.modelId);
  parts.push(`strength ${Math.round(s.strength * 100)}%`);
  const tone = s.stages?.tone;
  if (tone && tone.enabled !== false && tone.strength !== undefined) {
    parts.push(tone.strength > 0 ? `colour & fading ${Math.round(tone.strength * 100)}%` : 'colour & fading off');
  }
  if (s.stages?.local?.keepGrain) parts.push('film grain kept');
  return parts.join(' · ');
}
