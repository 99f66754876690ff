// Refine mode's state (Svelte 5 runes): the photo being refined, the brush, the stroke layers, the running job and the
// rounds it produced. A round is a result the engine keeps by id; the next Refine starts from the round on screen,
// so picking an earlier round in the list reverts to it.
// The plain Map and Date here are bookkeeping that nothing renders, so they are deliberately not reactive.
/* eslint-disable svelte/prefer-svelte-reactivity */
import type { RefineRequest } from '../../shared/api';
import type { ProviderReport, RefineEvent, RefineSettings } from '../../shared/types';
import type { AppState } from '../lib/app.svelte';
import { baseName, dirName, errorText } from '../lib/format';
import { release, toPicture, type Picture } from '../lib/preview';
import { StrokeLayers } from './layers';
import type { Layer, Tool } from './strokes';

export type RefineTool = Tool | 'picker';

export interface Round {
  id: string; // 'start' or the engine's round id
  label: string;
  source: RefineRequest['source'];
  picture: Picture;
  seed?: number;
  parent?: string;
}

export interface RefineJob {
  id: string;
  fraction: number;
  step: number;
  steps: number;
  started: number;
  cancelling: boolean;
  parent: string;
  seed: number;
}

const FULL = 16384; // loadPreview's largest size: the photo at full resolution

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

export class RefineState {
  tool = $state<RefineTool>('brush');
  color = $state('#7b6d58');
  size = $state(32);
  hard = $state(false);
  maskOnly = $state(false);
  seed = $state(randomSeed());

  sourcePath = $state<string | null>(null);
  loading = $state(false);
  loadError = $state<string | null>(null);
  rounds = $state<Round[]>([]);
  currentId = $state<string | null>(null);
  job = $state<RefineJob | null>(null);
  provider = $state<ProviderReport | null>(null);
  compare = $state(false);
  lastSaved = $state<string | null>(null);
  /** Bumped whenever the stroke layers change, so what depends on them (undo/redo buttons) updates. */
  version = $state(0);

  current = $derived(this.rounds.find((r) => r.id === this.currentId) ?? null);
  parentOfCurrent = $derived.by(() => {
    const c = this.current;
    return c?.parent ? (this.rounds.find((r) => r.id === c.parent) ?? null) : null;
  });

  /** Not reactive on purpose: canvases; `version` says when they changed. */
  layers: StrokeLayers | null = null;
  private off: (() => void) | null = null;
  private loadToken = 0;
  /** 'done' events of jobs whose start has not answered yet (events and replies travel separately). */
  private early = new Map<string, RefineEvent>();

  constructor(
    private readonly app: AppState,
    private readonly api = window.revive,
  ) {}

  init(): void {
    this.off = this.api.onRefineEvent((e) => void this.onEvent(e));
  }

  dispose(): void {
    this.off?.();
    for (const r of this.rounds) release(r.picture);
  }

  get layer(): Layer {
    return this.maskOnly ? 'mask' : 'paint';
  }

  get canUndo(): boolean {
    void this.version;
    return !!this.layers?.history.canUndo;
  }

  get canRedo(): boolean {
    void this.version;
    return !!this.layers?.history.canRedo;
  }

  touched(): void {
    this.version++;
  }

  /** Opens a photo for refining (a fresh start: its rounds and strokes are dropped). */
  async open(path: string): Promise<void> {
    if (this.job) return;
    const token = ++this.loadToken;
    this.sourcePath = path;
    this.loading = true;
    this.loadError = null;
    for (const r of this.rounds) release(r.picture);
    this.rounds = [];
    this.currentId = null;
    this.layers = null;
    this.compare = false;
    this.lastSaved = null;
    this.touched();
    try {
      const p = await this.api.loadPreview(path, FULL);
      if (token !== this.loadToken) return;
      const picture = toPicture(p);
      this.rounds = [{ id: 'start', label: 'Start', source: { path }, picture }];
      this.currentId = 'start';
      this.layers = new StrokeLayers(picture.fullWidth, picture.fullHeight);
      this.touched();
    } catch (e) {
      if (token === this.loadToken) this.loadError = errorText(e);
    } finally {
      if (token === this.loadToken) this.loading = false;
    }
  }

  undo(): void {
    if (this.layers?.undo()) this.touched();
  }

  redo(): void {
    if (this.layers?.redo()) this.touched();
  }

  clearStrokes(): void {
    if (!this.layers) return;
    this.layers.clear('all');
    this.touched();
  }

  /** Reverts to a round: it is shown and the next Refine starts from it; the strokes start afresh. */
  select(id: string): void {
    if (this.job || !this.rounds.some((r) => r.id === id)) return;
    this.currentId = id;
    this.compare = false;
    this.layers = this.current ? new StrokeLayers(this.current.picture.fullWidth, this.current.picture.fullHeight) : null;
    this.touched();
  }

  settings(): RefineSettings {
    const s = this.app.settings;
    return { strength: s.refineStrength, steps: s.refineSteps, repeats: 1, seed: this.seed, eta: 0, device: s.device };
  }

  async run(): Promise<void> {
    const cur = this.current;
    if (this.job || !cur || !this.layers) return;
    let images: Awaited<ReturnType<StrokeLayers['export']>>;
    try {
      images = await this.layers.export();
    } catch (e) {
      this.app.say('error', errorText(e));
      return;
    }
    if (!images) {
      this.app.say('info', 'Paint over the part to change first (or switch on “Mask only” and mark it).');
      return;
    }
    this.app.notice = null;
    const seed = this.seed;
    try {
      const { jobId } = await this.api.startRefine({ source: cur.source, ...images, settings: this.settings() });
      this.job = { id: jobId, fraction: 0, step: 0, steps: 0, started: performance.now(), cancelling: false, parent: cur.id, seed };
      const early = this.early.get(jobId);
      this.early.clear();
      if (early) await this.onEvent(early);
    } catch (e) {
      this.app.say('error', `Could not start refining: ${errorText(e)}`);
    }
  }

  async cancel(): Promise<void> {
    const j = this.job;
    if (!j || j.cancelling) return;
    j.cancelling = true;
    try {
      await this.api.cancelRefine(j.id);
    } catch (e) {
      this.app.say('error', `Could not cancel: ${errorText(e)}`);
    }
  }

  /** Milliseconds left, from the pace so far (null until there is one). */
  etaMs(now = performance.now()): number | null {
    const j = this.job;
    if (!j || j.fraction <= 0.02) return null;
    return ((now - j.started) * (1 - j.fraction)) / j.fraction;
  }

  private async onEvent(e: RefineEvent): Promise<void> {
    const j = this.job;
    if (e.type === 'provider') {
      this.provider = e.report;
      return;
    }
    if (!j || e.jobId !== j.id) {
      if (e.type === 'done') this.early.set(e.jobId, e);
      return;
    }
    if (e.type === 'step') {
      Object.assign(j, { fraction: e.fraction, step: e.step, steps: e.steps });
      return;
    }
    // done
    if (!e.ok) {
      this.job = null;
      if (e.cancelled) this.app.say('info', 'Refine cancelled. Nothing was changed.');
      else this.app.say('error', `Refine did not work: ${e.error ?? 'the engine gave no reason.'}`);
      return;
    }
    try {
      const r = await this.api.getRefineResult(j.id);
      const n = this.rounds.filter((x) => x.id !== 'start').length + 1;
      this.rounds.push({
        id: r.roundId,
        label: `Round ${n}`,
        source: { roundId: r.roundId },
        picture: toPicture(r.preview),
        seed: j.seed,
        parent: j.parent,
      });
      this.currentId = r.roundId;
      this.layers = new StrokeLayers(r.preview.fullWidth, r.preview.fullHeight);
      this.seed = randomSeed();
      this.compare = true;
      this.touched();
    } catch (err) {
      this.app.say('error', `Refine finished but its result could not be shown: ${errorText(err)}`);
    } finally {
      this.job = null;
    }
  }

  /** Saves the round on screen next to the restored photos (PNG, a new name each time). */
  async save(): Promise<void> {
    const cur = this.current;
    if (!cur || cur.id === 'start' || !this.sourcePath) return;
    const outDir = this.app.settings.outDir || (await this.app.chooseOutput());
    if (!outDir) {
      this.app.say('info', 'Choose where refined photos should go, then press Save again.');
      return;
    }
    const stem = baseName(this.sourcePath).replace(/\.[^.]+$/, '');
    const d = new Date();
    const stamp = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}-${String(d.getHours()).padStart(2, '0')}${String(d.getMinutes()).padStart(2, '0')}${String(d.getSeconds()).padStart(2, '0')}`;
    const sep = outDir.includes('\\') && !outDir.includes('/') ? '\\' : '/';
    const target = `${outDir.replace(/[\\/]+$/, '')}${sep}${stem}-refined-${cur.label.replace(/\D+/g, '')}-${stamp}.png`;
    try {
      this.lastSaved = await this.api.saveRound(cur.id, target);
      this.app.say('info', `Saved ${baseName(this.lastSaved)} in ${dirName(this.lastSaved)}.`);
    } catch (e) {
      this.app.say('error', `Could not save: ${errorText(e)}`);
    }
  }
}
