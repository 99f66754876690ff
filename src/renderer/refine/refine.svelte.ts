// Refine mode's state (Svelte 5 runes): the brush, and each photo's refine work (a RefineWork: its rounds, stroke
// layers with their undo, its running or waiting job). A round is a result the engine keeps by id; the next Refine
// starts from the round on screen, so picking an earlier round in the list reverts to it.
// Every photo opened in Refine keeps its work for the session: switching to another photo and back brings it back.
// What would lose work says so in words: removing the photo or clearing the list asks first (AppState via the
// WorkKeeper interface), and letting go to stay within memory (./sessions.ts) or rounds the engine drops past its
// bound are told in the notice line.
// The plain Maps, Sets and Date here are bookkeeping that nothing renders, so they are deliberately not reactive.
/* eslint-disable svelte/prefer-svelte-reactivity */
import { MAX_SIDE, RANGES } from '../../shared/limits';
import type { RefineRequest } from '../../shared/api';
import type { ProviderReport, RefineEvent, RefineSettings } from '../../shared/types';
import type { AppState, WorkKeeper } from '../lib/app.svelte';
import { baseName, dirName, errorText } from '../lib/format';
import { release, toPicture, type Picture } from '../lib/preview';
import { StrokeLayers } from './layers';
import { nameList, REFINE_MEMORY_BUDGET, toEvict, unsavedWords, type WorkInfo } from './sessions';
import type { Layer, Tool } from './strokes';


/** 'color': the Colour brush (colorize), painting on its own layer; the eraser and the picker then act for it. */
export type RefineTool = Tool | 'picker' | 'color';

/** Longest side of the live colour preview (the full resolution is coloured on Apply). */
export const COLOR_PREVIEW = 1024;

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
  /** Waiting its turn (the engine runs one inference at a time): what runs now and how many are before it. */
  queued: { behind: 'refine' | 'restore'; ahead: number } | null;
}

const FULL = MAX_SIDE; // loadPreview's largest size: the photo at full resolution

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** One photo's refine work, kept for the session. */
export class RefineWork {
  loading = $state(false);
  loadError = $state<string | null>(null);
  rounds = $state<Round[]>([]);
  currentId = $state<string | null>(null);
  job = $state<RefineJob | null>(null);
  compare = $state(false);
  lastSaved = $state<string | null>(null);
  /** The live colour preview of the round on screen with the Colour brush's strokes (null: none painted). */
  colorPreview = $state<Picture | null>(null);

  // Getters, not $derived: a RefineWork is made inside whichever effect opened the photo (RefineMode's), and a
  // $derived made there is torn down with it when Refine is left, after which it would never update again (issue 15:
  // a round made after coming back could not be compared or saved).
  get current(): Round | null {
    return this.rounds.find((r) => r.id === this.currentId) ?? null;
  }
  get parentOfCurrent(): Round | null {
    const c = this.current;
    return c?.parent ? (this.rounds.find((r) => r.id === c.parent) ?? null) : null;
  }

  /** Not reactive on purpose: canvases; RefineState.version says when they changed. */
  layers: StrokeLayers | null = null;
  /** Rounds saved to a file at least once. */
  readonly saved = new Set<string>();
  /** A Refine press whose start has not answered yet. */
  starting = $state(false);
  lastUsed = 0;

  constructor(readonly path: string) {}

  get name(): string {
    return baseName(this.path);
  }

  /** Painted strokes not refined yet (anything to undo or redo, or strokes baked past the undo budget). */
  get hasStrokes(): boolean {
    const l = this.layers;
    return !!l && (l.history.canUndo || l.history.canRedo || l.mayHave('paint') || l.mayHave('mask') || l.mayHave('color'));
  }

  get busy(): boolean {
    return !!this.job || this.starting;
  }

  info(): WorkInfo {
    const start = this.rounds[0]?.picture;
    const made = this.rounds.filter((r) => r.id !== 'start');
    return {
      key: this.path,
      name: this.name,
      width: start?.fullWidth ?? 0,
      height: start?.fullHeight ?? 0,
      pictureBytes: this.rounds.reduce((a, r) => a + (r.picture.bytes ?? 0), 0),
      hasLayers: !!this.layers,
      historyBytes: this.layers?.history.bytes ?? 0,
      rounds: made.length,
      unsavedRounds: made.filter((r) => !this.saved.has(r.id)).length,
      strokes: this.hasStrokes,
      busy: this.busy,
      lastUsed: this.lastUsed,
    };
  }

  /** Frees the stroke canvases while nothing is painted on them (they come back, empty, when needed). */
  compact(): void {
    if (this.layers && !this.hasStrokes) this.layers = null;
  }

  setColorPreview(p: Picture | null): void {
    if (this.colorPreview) release(this.colorPreview);
    this.colorPreview = p;
  }

  /** Fresh stroke layers for the round on screen. */
  freshLayers(): void {
    this.setColorPreview(null);
    const c = this.current;
    this.layers = c ? new StrokeLayers(c.picture.fullWidth, c.picture.fullHeight) : null;
  }

  dispose(): void {
    this.setColorPreview(null);
    for (const r of this.rounds) release(r.picture);
    this.rounds = [];
    this.layers = null;
  }
}

export class RefineState implements WorkKeeper {
  private _tool = $state<RefineTool>('brush');
  /** The Colour brush was the last brush picked: the eraser and the picker act on its layer, its palette shows. */
  colorMode = $state(false);
  /** A full-resolution colour is being made (Apply colour). */
  colouring = $state(false);
  color = $state('#7b6d58');
  size = $state(32);
  hard = $state(false);
  maskOnly = $state(false);
  seed = $state(randomSeed());
  provider = $state<ProviderReport | null>(null);
  /** Bumped whenever the stroke layers change, so what depends on them (undo/redo buttons) updates. */
  version = $state(0);
  /** The photo on screen's work. */
  work = $state<RefineWork | null>(null);

  /** Every photo's work, by path (kept for the session). */
  private readonly works = new Map<string, RefineWork>();
  /** Running and waiting jobs: whose work they are. */
  private readonly jobs = new Map<string, RefineWork>();
  private off: (() => void) | null = null;
  private clock = 0;
  /** Events of jobs whose start has not answered yet (events and replies travel separately). */
  private early = new Map<string, RefineEvent[]>();

  constructor(
    private readonly app: AppState,
    private readonly api = window.revive,
    private readonly budget = REFINE_MEMORY_BUDGET,
  ) {}

  init(): void {
    this.off = this.api.onRefineEvent((e) => void this.onEvent(e));
    this.app.keeper = this;
  }

  dispose(): void {
    this.off?.();
    if (this.app.keeper === this) this.app.keeper = null;
    for (const w of this.works.values()) w.dispose();
    this.works.clear();
  }

  // ---- the photo on screen (what the components read) ----

  get sourcePath(): string | null {
    return this.work?.path ?? null;
  }
  get loading(): boolean {
    return this.work?.loading ?? false;
  }
  get loadError(): string | null {
    return this.work?.loadError ?? null;
  }
  get rounds(): Round[] {
    return this.work?.rounds ?? [];
  }
  get currentId(): string | null {
    return this.work?.currentId ?? null;
  }
  get current(): Round | null {
    return this.work?.current ?? null;
  }
  get parentOfCurrent(): Round | null {
    return this.work?.parentOfCurrent ?? null;
  }
  get job(): RefineJob | null {
    return this.work?.job ?? null;
  }
  get compare(): boolean {
    return this.work?.compare ?? false;
  }
  set compare(v: boolean) {
    if (this.work) this.work.compare = v;
  }
  get lastSaved(): string | null {
    return this.work?.lastSaved ?? null;
  }
  get layers(): StrokeLayers | null {
    return this.work?.layers ?? null;
  }

  get tool(): RefineTool {
    return this._tool;
  }
  set tool(t: RefineTool) {
    if (t === 'color') this.colorMode = true;
    else if (t === 'brush') this.colorMode = false;
    this._tool = t;
  }

  get layer(): Layer {
    return this.colorMode ? 'color' : this.maskOnly ? 'mask' : 'paint';
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

  /** The strokes changed (painted, undone, redone, cleared): the colour preview follows when there is colour. */
  changed(): void {
    this.touched();
    const l = this.layers;
    if (l && (l.mayHave('color') || this.work?.colorPreview)) void this.previewColour();
  }

  private previewing = false;
  private previewAgain = false;

  /**
   * Colours the photo on screen at preview size from the Colour brush's strokes. While one preview is being made,
   * further changes make one more afterwards (the latest strokes), never a queue.
   */
  async previewColour(): Promise<void> {
    if (this.previewing) {
      this.previewAgain = true;
      return;
    }
    this.previewing = true;
    try {
      do {
        this.previewAgain = false;
        const w = this.work;
        const cur = w?.current;
        if (!w || !cur || !w.layers) return;
        const strokes = await w.layers.exportColor(COLOR_PREVIEW);
        if (!strokes) {
          w.setColorPreview(null);
          continue;
        }
        const r = await this.api.colorize({ source: cur.source, strokes, previewSize: COLOR_PREVIEW });
        if (this.work === w && w.current === cur && w.layers?.mayHave('color')) w.setColorPreview(toPicture(r.preview));
      } while (this.previewAgain);
    } catch (e) {
      this.app.say('error', `Could not preview the colour: ${errorText(e)}`);
    } finally {
      this.previewing = false;
    }
  }

  /** Colours the photo at full resolution from the Colour brush's strokes: a new round, shown against its parent. */
  async applyColour(): Promise<void> {
    const w = this.work;
    const cur = w?.current;
    if (!w || w.busy || this.colouring || !cur || !w.layers) return;
    this.colouring = true;
    w.starting = true;
    try {
      const strokes = await w.layers.exportColor();
      if (!strokes) {
        this.app.say('info', 'Paint with the Colour brush first: a few strokes in the colours wanted.');
        return;
      }
      this.app.notice = null;
      const r = await this.api.colorize({ source: cur.source, strokes });
      if (r.dropped?.length) this.dropped(r.dropped);
      if (this.works.get(w.path) !== w || !r.roundId) return;
      const n = w.rounds.filter((x) => x.id !== 'start').length + 1;
      w.rounds.push({ id: r.roundId, label: `Colour ${n}`, source: { roundId: r.roundId }, picture: toPicture(r.preview), parent: cur.id });
      w.currentId = r.roundId;
      w.layers = new StrokeLayers(r.preview.fullWidth, r.preview.fullHeight);
      w.setColorPreview(null);
      w.compare = true;
      this.touched();
    } catch (e) {
      this.app.say('error', `Could not colour the photo: ${errorText(e)}`);
    } finally {
      w.starting = false;
      this.colouring = false;
    }
    this.enforceBudget();
  }

  /** Of these paths, the one whose work was on screen last (null when none has any). */
  recent(paths: (string | null | undefined)[]): string | null {
    let best: RefineWork | null = null;
    for (const p of paths) {
      const w = p ? this.works.get(p) : undefined;
      if (w && (!best || w.lastUsed > best.lastUsed)) best = w;
    }
    return best?.path ?? null;
  }

  /** Shows a photo's refine work: what was there when it was last on screen, or a fresh start when it is new. */
  async open(path: string): Promise<void> {
    const prev = this.work;
    const known = this.works.get(path);
    if (prev && prev !== known) prev.compact();
    if (known) {
      known.lastUsed = ++this.clock;
      this.work = known;
      if (!known.layers && !known.loading) known.freshLayers();
      this.touched();
      this.enforceBudget();
      return;
    }
    const w = new RefineWork(path);
    w.lastUsed = ++this.clock;
    w.loading = true;
    this.works.set(path, w);
    this.work = w;
    this.touched();
    try {
      const p = await this.api.loadPreview(path, FULL);
      const picture = toPicture(p);
      if (this.works.get(path) !== w) {
        release(picture); // let go of meanwhile
        return;
      }
      w.rounds = [{ id: 'start', label: 'Start', source: { path }, picture }];
      w.currentId = 'start';
      if (this.work === w) w.freshLayers();
      this.touched();
    } catch (e) {
      w.loadError = errorText(e);
    } finally {
      w.loading = false;
    }
    this.enforceBudget();
  }

  undo(): void {
    if (this.layers?.undo()) this.changed();
  }

  redo(): void {
    if (this.layers?.redo()) this.changed();
  }

  clearStrokes(): void {
    if (!this.layers) return;
    this.layers.clear('all');
    this.changed();
  }

  /** Reverts to a round: it is shown and the next Refine starts from it; the strokes start afresh. */
  select(id: string): void {
    const w = this.work;
    if (!w || w.job || !w.rounds.some((r) => r.id === id)) return;
    w.currentId = id;
    w.compare = false;
    w.freshLayers();
    this.touched();
  }

  settings(): RefineSettings {
    const s = this.app.settings;
    return {
      strength: s.refineStrength,
      steps: s.refineSteps,
      repeats: RANGES.refineRepeats.default,
      seed: this.seed,
      eta: RANGES.eta.default,
      device: s.device,
    };
  }

  async run(): Promise<void> {
    const w = this.work;
    const cur = w?.current;
    if (!w || w.busy || !cur || !w.layers) return;
    let images: Awaited<ReturnType<StrokeLayers['export']>>;
    try {
      images = await w.layers.export();
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
    w.starting = true;
    try {
      const { jobId } = await this.api.startRefine({ source: cur.source, ...images, settings: this.settings() });
      w.job = { id: jobId, fraction: 0, step: 0, steps: 0, started: performance.now(), cancelling: false, parent: cur.id, seed, queued: null };
      this.jobs.set(jobId, w);
      const early = this.early.get(jobId) ?? [];
      this.early.delete(jobId);
      for (const e of early) await this.onEvent(e);
    } catch (e) {
      this.app.say('error', `Could not start refining: ${errorText(e)}`);
    } finally {
      w.starting = false;
    }
  }

  /** Cancels the photo on screen's refine, running or waiting its turn. */
  async cancel(): Promise<void> {
    const j = this.work?.job;
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
    if (!j || j.queued || j.fraction <= 0.02) return null;
    return ((now - j.started) * (1 - j.fraction)) / j.fraction;
  }

  private async onEvent(e: RefineEvent): Promise<void> {
    if (e.type === 'provider') this.provider = e.report;
    if (e.type === 'dropped') this.dropped(e.roundIds);
    const w = this.jobs.get(e.jobId);
    const j = w?.job;
    if (!w || !j || j.id !== e.jobId) {
      if (!w) {
        const list = this.early.get(e.jobId) ?? [];
        list.push(e);
        this.early.set(e.jobId, list);
        while (this.early.size > 32) this.early.delete(this.early.keys().next().value as string);
      }
      return;
    }
    switch (e.type) {
      case 'queued':
        j.queued = { behind: e.behind, ahead: e.ahead };
        return;
      case 'start':
        j.queued = null;
        j.started = performance.now();
        return;
      case 'step':
        Object.assign(j, { fraction: e.fraction, step: e.step, steps: e.steps, queued: null });
        return;
      case 'done':
        break;
      default:
        return;
    }
    this.jobs.delete(e.jobId);
    const elsewhere = w !== this.work ? ` (${w.name})` : '';
    if (!e.ok) {
      w.job = null;
      if (e.cancelled) this.app.say('info', `Refine cancelled${elsewhere}. Nothing was changed.`);
      else this.app.say('error', `Refine did not work${elsewhere}: ${e.error ?? 'the engine gave no reason.'}`);
      return;
    }
    try {
      const r = await this.api.getRefineResult(j.id);
      if (this.works.get(w.path) !== w) return; // let go of meanwhile
      const n = w.rounds.filter((x) => x.id !== 'start').length + 1;
      w.rounds.push({
        id: r.roundId,
        label: `Round ${n}`,
        source: { roundId: r.roundId },
        picture: toPicture(r.preview),
        seed: j.seed,
        parent: j.parent,
      });
      w.currentId = r.roundId;
      w.layers = new StrokeLayers(r.preview.fullWidth, r.preview.fullHeight);
      if (w === this.work) this.seed = randomSeed();
      else {
        w.compact();
        this.app.say('info', `Round ${n} of ${w.name} is ready. Open ${w.name} in Refine to see it.`);
      }
      w.compare = true;
      this.touched();
    } catch (err) {
      this.app.say('error', `Refine finished but its result could not be shown${elsewhere}: ${errorText(err)}`);
    } finally {
      w.job = null;
    }
    this.enforceBudget();
  }

  /** The engine let go of its oldest rounds (it keeps a bounded number): they leave their lists, in words. */
  dropped(ids: string[]): void {
    const gone = new Set(ids);
    const lost: string[] = [];
    for (const w of this.works.values()) {
      const out = w.rounds.filter((r) => gone.has(r.id));
      if (!out.length) continue;
      lost.push(`${out.map((r) => r.label).join(', ')} of ${w.name}`);
      for (const r of out) release(r.picture);
      w.rounds = w.rounds.filter((r) => !gone.has(r.id));
      if (!w.current) {
        w.currentId = w.rounds[w.rounds.length - 1]?.id ?? null;
        w.compare = false;
        if (!w.job) w.freshLayers();
      }
    }
    if (lost.length) {
      this.touched();
      this.app.say(
        'info',
        `Revive keeps a limited number of refine rounds and let go of the oldest: ${lost.join('; ')}. Save the rounds you want to keep.`,
      );
    }
  }

  /** Lets go of the least recently used photos' work while all of it takes more memory than the budget, and says so. */
  private enforceBudget(): void {
    const evict = toEvict(
      [...this.works.values()].map((w) => w.info()),
      this.budget,
      this.work?.path ?? null,
    );
    if (!evict.length) return;
    for (const v of evict) this.drop(v.key);
    const lost = evict.map((v) => [v.name, unsavedWords(v)] as const).filter(([, words]) => words);
    const names = nameList(evict.map((v) => v.name));
    this.app.say(
      'info',
      lost.length
        ? `To stay within memory, Revive let go of the refine work on ${names}: ${lost.map(([n, words]) => `${n} (${words})`).join('; ')}. Files you saved are not affected.`
        : `To stay within memory, Revive let go of the refine rounds of ${names}; everything in them was saved.`,
    );
  }

  private drop(path: string): void {
    const w = this.works.get(path);
    if (!w) return;
    this.works.delete(path);
    if (w.job) {
      this.jobs.delete(w.job.id);
      void this.api.cancelRefine(w.job.id).catch(() => undefined);
    }
    w.dispose();
    if (this.work === w) this.work = null;
    this.touched(); // what unsaved() says changed
  }

  // ---- WorkKeeper: asked by AppState before photos leave the list ----

  unsaved(paths: string[]): string | null {
    void this.version; // read in App.svelte's leave guard effect: works come and go, strokes change, with version
    const words = paths
      .map((p) => this.works.get(p))
      .filter((w): w is RefineWork => !!w)
      .map((w) => w.info());
    if (!words.length) return null;
    return unsavedWords({
      unsavedRounds: words.reduce((a, w) => a + w.unsavedRounds, 0),
      strokes: words.some((w) => w.strokes),
      busy: words.some((w) => w.busy),
    });
  }

  forget(paths: string[]): void {
    for (const p of paths) this.drop(p);
  }

  /** Saves the round on screen next to the restored photos (PNG, a new name each time). */
  async save(): Promise<void> {
    const w = this.work;
    const cur = w?.current;
    if (!w || !cur || cur.id === 'start') return;
    const outDir = this.app.settings.outDir || (await this.app.chooseOutput());
    if (!outDir) {
      this.app.say('info', 'Choose where refined photos should go, then press Save again.');
      return;
    }
    const stem = baseName(w.path).replace(/\.[^.]+$/, '');
    const d = new Date();
    const stamp = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}-${String(d.getHours()).padStart(2, '0')}${String(d.getMinutes()).padStart(2, '0')}${String(d.getSeconds()).padStart(2, '0')}`;
    const sep = outDir.includes('\\') && !outDir.includes('/') ? '\\' : '/';
    const target = `${outDir.replace(/[\\/]+$/, '')}${sep}${stem}-refined-${cur.label.replace(/\D+/g, '')}-${stamp}.png`;
    try {
      w.lastSaved = await this.api.saveRound(cur.id, target);
      w.saved.add(cur.id);
      this.touched(); // the round is no longer unsaved work
      this.app.say('info', `Saved ${baseName(w.lastSaved)} in ${dirName(w.lastSaved)}.`);
    } catch (e) {
      this.app.say('error', `Could not save: ${errorText(e)}`);
    }
  }
}

/** The waiting line in words, for the panel. */
export function queuedText(q: NonNullable<RefineJob['queued']>): string {
  const what = q.behind === 'restore' ? 'the photo being restored' : 'the refine already running';
  const more = q.ahead === 1 ? '1 other refine' : `${q.ahead} other refines`;
  return q.ahead > 0 ? `Waiting for ${what}, then ${more} before this one…` : `Waiting for ${what}…`;
}
