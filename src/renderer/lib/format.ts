// Words and numbers for people: time left, durations, provider reports, statuses, error messages.
import type { ProviderReport } from '../../shared/types';

export function formatEta(ms: number | null): string {
  if (ms === null) return 'estimating time left…';
  const s = Math.round(ms / 1000);
  if (s < 5) return 'almost done';
  if (s < 60) return `about ${Math.max(5, Math.round(s / 5) * 5)} s left`;
  const m = Math.round(s / 60);
  if (m < 60) return `about ${m} min left`;
  const h = Math.floor(m / 60);
  return `about ${h} h ${m % 60} min left`;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Where the work runs, in the words of the "Run on" choice. */
const PROVIDER_NAMES: Record<string, string> = {
  auto: 'Automatically (the fastest here)',
  cpu: 'The processor (CPU)',
  cuda: 'Your NVIDIA GPU',
  dml: 'Your graphics card (DirectML)',
  webgpu: 'Your graphics card (WebGPU)',
};

export function providerName(p: string): string {
  return PROVIDER_NAMES[p] ?? p.toUpperCase();
}

/** "on the processor", "on your NVIDIA GPU": where a run ran, to follow "Ran" or "Runs". */
const PLACES: Record<string, string> = {
  cpu: 'on the processor',
  cuda: 'on your NVIDIA GPU',
  dml: 'on your graphics card',
  webgpu: 'on your graphics card',
};

/**
 * A fallback that only says this machine has no such GPU (or this build no such provider): no problem worth words.
 * The engine says "no NVIDIA GPU driver" before anything about CUDA's libraries (src/core/inference/session.ts).
 */
const ABSENT =
  /no NVIDIA GPU driver|only available on|not available on|no GPU (with a Vulkan driver )?was found|found no usable GPU|software renderer|build has no \w+ provider/i;

/**
 * Where a run ran, in plain words, and (detail) why a GPU this machine has was not used; a GPU is mentioned only when
 * one exists: "on the processor" on a machine without any.
 */
export function describeProvider(r: ProviderReport | null): { label: string; detail: string | null } {
  if (!r) return { label: 'not started yet', detail: null };
  const place = PLACES[r.used] ?? `on ${r.used}`;
  const label = r.adapter && r.used === 'webgpu' ? `${place} (${r.adapter})` : place;
  const real = r.fallbacks.filter((f) => !ABSENT.test(f.reason));
  const gpu = (p: string) => (p === 'cuda' ? 'Your NVIDIA GPU' : 'Your graphics card');
  const notes = real.map((f) => `${gpu(f.provider)} was not used: ${f.reason}`);
  // the CPU's quick (int8) copy of the model could not be used: the exact one ran, slower
  if (r.precisionNote) notes.push(`The quicker processor copy of the model was not used (${r.precisionNote.replace(/^the int8 copy (was not used: )?/, '')})`);
  return { label, detail: notes.length ? notes.join(' · ') : null };
}

/** Where the next run will go before any has run: a GPU only when this machine has one the engine can try. */
export function expectedPlace(providers: readonly string[] | undefined): string {
  // WebGPU is offered even on a software renderer (no real GPU): it is named only once a run has used it
  const gpu = (providers ?? []).find((p) => p === 'cuda' || p === 'dml');
  return gpu ? `${PLACES[gpu]} when it can, else on the processor` : 'on the processor';
}

export function baseName(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}

export function dirName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i <= 0 ? p.slice(0, i + 1) : p.slice(0, i);
}

/** The message of a rejected call, without JavaScript's wrapping. */
export function errorText(e: unknown): string {
  const raw = e instanceof Error ? e.message : typeof e === 'string' ? e : 'Something went wrong.';
  return raw.replace(/^Error invoking remote method '[^']*': /, '').replace(/^[A-Za-z]*Error: /, '') || 'Something went wrong.';
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The end of a long path, which says the most: "…/photos/restored". */
export function shortPath(p: string, max = 34): string {
  if (p.length <= max) return p;
  const parts = p.split(/[\\/]/).filter(Boolean);
  let out = '';
  for (let i = parts.length - 1; i >= 0; i--) {
    const next = out ? `${parts[i]}/${out}` : parts[i];
    if (next.length + 2 > max && out) break;
    out = next;
  }
  return `…/${out}`;
}

/** An engine message about one file, said from the list's point of view: its full path becomes "This file" at the
 *  start (the list already shows the name) and the bare name elsewhere. */
export function aboutFile(message: string, path: string): string {
  const name = baseName(path);
  for (const q of [`"${path}"`, `“${path}”`, `'${path}'`, path]) {
    if (message.startsWith(q)) {
      message = `This file${message.slice(q.length)}`;
      break;
    }
  }
  return message.split(path).join(name);
}
