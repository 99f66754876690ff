// Refine keeps each photo's work (rounds, strokes, undo) for the whole session, so switching to another photo and
// back loses nothing. This is the pure bookkeeping behind it: what a photo's work costs in memory, which photos to
// let go of when the total passes the budget (least recently used first, never the one on screen or one whose refine
// is running or waiting), and the words that tell the person what would be lost. No DOM: unit-tested in Node.

/** What the refine work of all photos together may take in memory (estimated, see workBytes). */
export const REFINE_MEMORY_BUDGET = 1024 * 1024 * 1024;

/** One photo's refine work, as far as memory and the person's words are concerned. */
export interface WorkInfo {
  key: string; // the photo's path
  name: string; // its file name
  width: number;
  height: number;
  /** Encoded bytes of every round's picture (the start included). */
  pictureBytes: number;
  /** Whether the stroke layers (4 canvases the photo's size) are held. */
  hasLayers: boolean;
  historyBytes: number;
  /** Rounds made by refining (the start not counted) and how many of them were never saved. */
  rounds: number;
  unsavedRounds: number;
  /** Painted strokes not refined yet (anything to undo, redo, or a baked base). */
  strokes: boolean;
  /** A refine of it is running or waiting. */
  busy: boolean;
  lastUsed: number;
}

/** Estimated bytes of one photo's work: the pictures, and the stroke layers' RGBA canvases when held. */
export function workBytes(w: Pick<WorkInfo, 'width' | 'height' | 'pictureBytes' | 'hasLayers' | 'historyBytes'>): number {
  const layers = w.hasLayers ? 4 * 4 * w.width * w.height : 0;
  return w.pictureBytes + layers + w.historyBytes;
}

/**
 * Which photos' work to let go of so the total fits `budget`: least recently used first, never `activeKey` nor a
 * busy one. May still be over budget when only those are left.
 */
export function toEvict(works: readonly WorkInfo[], budget: number, activeKey: string | null): WorkInfo[] {
  let total = works.reduce((a, w) => a + workBytes(w), 0);
  const out: WorkInfo[] = [];
  const candidates = works.filter((w) => w.key !== activeKey && !w.busy).sort((a, b) => a.lastUsed - b.lastUsed);
  for (const w of candidates) {
    if (total <= budget) break;
    out.push(w);
    total -= workBytes(w);
  }
  return out;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What would be lost with this work, in words ("2 refine rounds not saved and strokes not refined yet"); null = nothing. */
export function unsavedWords(w: Pick<WorkInfo, 'unsavedRounds' | 'strokes' | 'busy'>): string | null {
  const parts: string[] = [];
  if (w.unsavedRounds > 0) parts.push(`${count(w.unsavedRounds, 'refine round')} not saved`);
  if (w.strokes) parts.push('strokes not refined yet');
  if (w.busy) parts.push('a refine in progress');
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0];
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** A list of names in words: "a.png", "a.png and b.png", "a.png, b.png and 3 more". */
export function nameList(names: readonly string[], most = 3): string {
  if (names.length <= 1) return names[0] ?? '';
  if (names.length <= most) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${names.slice(0, most).join(', ')} and ${names.length - most} more`;
}
