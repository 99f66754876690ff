// The page's state (Svelte 5 runes): the queue of photos, the running job, settings, app info and the notice line.
// Everything the app does goes through window.revive; job events arrive through onJobEvent and are folded in here.
// The plain Maps and Sets here are bookkeeping that nothing renders, so they are deliberately not reactive.
/* eslint-disable svelte/prefer-svelte-reactivity */
import type { AppInfo } from '../../shared/api';
import { DEFAULT_SETTINGS, pickRestoreModel, restoreSettingsFor, type Settings } from '../../shared/settings';
import type { ExistingOutput, FileErrorKind, FileResult, JobEvent, JobSummary, ProviderReport, RestoreSettings } from '../../shared/types';
import { baseName, dirName, errorText, plural } from './format';
import { lookKey } from './made-with';
import { nameList as nameWords } from '../refine/sessions';
import { leaveWarning } from './leave';
import { release, TaskQueue, toPicture, type Picture } from './preview';
import type { ToneInfo } from '../../shared/tone';
import type { ToneChoice } from './tone-preview';
import type { ScratchResult } from './scratches.svelte';

export type ItemStatus = 'waiting' | 'queued' | 'working' | 'done' | 'skipped' | 'error' | 'cancelled';

export interface QueueItem {
  id: number;
  path: string;
  name: string;
  /** The dropped path it came from: itself, or the folder it was found in. */
  source: string;
  thumb: Picture | null;
  thumbError: string | null;
  status: ItemStatus;
  progress: number; // 0..1 of this file
  /** While 'working': the file waits for the engine's inference slot, held by a refine or another job's file. */
  waitingFor: 'refine' | 'restore' | null;
  output: string | null;
  error: string | null;
  /** Why it failed: 'file' = the file cannot be used (trying again does not help), 'engine' = anything else. */
  errorKind: FileErrorKind | null;
  ms: number | null;
  /** The settings its result was made with (null: no result, or one made before this session with unknown settings). */
  madeWith: RestoreSettings | null;
  /** Its output name is taken by another photo's result: only restoring again (keep both) can give it its own. */
  again: boolean;
  /** Counts the results made for it this session: a result replaced under the same name is shown anew. */
  rev: number;
  /** The colour mapping the restore found for this photo and the strength and mode it applied (the tone stage). */
  tone: ToneInfo | null;
  /** How much of the network's change the restore judged this photo needs (0..1; null: not adapted or unknown). */
  noiseAmount: number | null;
  /** What the scratch stage filled (its mask is the engine's, shown by "Show what was fixed"); null = nothing known. */
  scratches: ScratchResult | null;
}

export interface JobProgress {
  id: string;
  done: number;
  total: number;
  fraction: number;
  etaMs: number | null;
  cancelling: boolean;
}

export interface NoticeAction {
  label: string;
  run: () => void;
  /** The button that loses something (shown in red). */
  danger?: boolean;
  testid?: string;
}

/** The notice line; with actions it asks (a confirmation in words): each button runs its action and closes it. */
export interface Notice {
  kind: 'error' | 'info';
  text: string;
  actions?: NoticeAction[];
}

/** Work tied to photos that leaving the list would lose (Refine's rounds and strokes); RefineState is one. */
export interface WorkKeeper {
  /** What would be lost with the photos at these paths, in words ("2 refine rounds not saved"); null = nothing. */
  unsaved(paths: string[]): string | null;
  /** Lets go of the work of these paths (their running or waiting refine is cancelled). */
  forget(paths: string[]): void;
}

const THUMB_SIZE = 192;

/** Photos the Restore button restores: not done yet, cancelled, or failed in a way trying again may fix. */
export function isPending(i: Pick<QueueItem, 'status' | 'errorKind' | 'again'>): boolean {
  if (i.again) return false;
  return i.status === 'waiting' || i.status === 'cancelled' || (i.status === 'error' && i.errorKind !== 'file');
}

/** A photo with a result on disk that is its own. */
export function hasResult(i: Pick<QueueItem, 'status' | 'output'>): boolean {
  return (i.status === 'done' || i.status === 'skipped') && !!i.output;
}

export class AppState {
  items = $state<QueueItem[]>([]);
  selectedId = $state<number | null>(null);
  settings = $state<Settings>({ ...DEFAULT_SETTINGS });
  info = $state<AppInfo | null>(null);
  job = $state<JobProgress | null>(null);
  summary = $state<JobSummary | null>(null);
  provider = $state<ProviderReport | null>(null);
  notice = $state<Notice | null>(null);
  adding = $state(false);
  mode = $state<'restore' | 'refine'>('restore');
  /** The colour & fading choice while its slider moves (before it is saved); null = the saved settings. */
  toneDraft = $state<ToneChoice | null>(null);
  /** What the result previews show: the draft while it moves, else the saved colour & fading settings. */
  toneChoice = $derived<ToneChoice>(this.toneDraft ?? { strength: this.settings.toneStrength, mode: this.settings.toneMode });

  selected = $derived(this.items.find((i) => i.id === this.selectedId) ?? null);
  running = $derived(this.job !== null);
  pending = $derived(this.items.filter(isPending));
  /** Restored photos whose result was made with other settings than the current ones (they can be restored again). */
  stale = $derived.by(() => {
    const now = lookKey(this.restoreSettings());
    return this.items.filter((i) => i.again || (hasResult(i) && i.madeWith && lookKey(i.madeWith) !== now));
  });
  /** Hold to see the original (Space, or the Original button): the comparison shows the photo before. */
  peek = $state(false);
  /** The list of keyboard shortcuts is open (?). */
  showShortcuts = $state(false);
  /** In Restore, what Undo and Redo act on (the marks of Show what was fixed while they are shown); null = nothing. */
  edits = $state.raw<{ undo(): void; redo(): void } | null>(null);
  /** The comparison shows before and after side by side (else one over the other, with a dividing line). */
  sideBySide = $state(false);
  /** The photo list folded to a strip of thumbnails (it is one anyway in a narrow window). */
  listFolded = $state(false);
  /** Settings' sections folded away, by name (kept while the panel comes and goes with the mode). */
  folded = $state<Record<string, boolean>>({ advanced: true });
  /** Opens the system's file picker (App.svelte registers its file input here). */
  private picker: (() => void) | null = null;
  /** The installed, intact restore models (the Model choice in Settings). */
  restoreModels = $derived(this.info?.models.filter((m) => m.kind === 'restore' && m.sha256Ok) ?? []);
  /** The one a restore uses: the chosen one if installed, else the manifest's default (see pickRestoreModel). */
  restoreModel = $derived(
    this.info ? pickRestoreModel(this.info.models, this.settings.restoreModel, this.info.defaultRestore) : null,
  );
  modelProblem = $derived.by(() => {
    if (!this.info) return null;
    if (this.restoreModel) return null;
    const bad = this.info.models.find((m) => m.kind === 'restore' || m.error);
    return bad?.error ?? 'No restore model is installed. Reinstall Revive to get it back.';
  });

  private nextId = 1;
  private readonly jobFiles = new Map<string, Map<number, number>>(); // jobId -> file index -> item id
  private readonly folders = new Set<string>();
  private readonly finished = new Set<string>(); // jobs whose 'done' was seen
  private readonly refills = new Set<string>(); // refill jobs (a photo's corrected scratches: ScratchFix follows them)
  private readonly jobSettings = new Map<string, RestoreSettings>(); // jobId -> the settings it restores with
  private readonly jobOutDir = new Map<string, string>();
  /** Outputs this session wrote, by output path: the photo each was made from (a result must belong to its photo). */
  private readonly madeFrom = new Map<string, string>();
  /** What a finished batch shows (counts, the folder to open): set at its 'done', for the notice. */
  lastBatch = $state<{ summary: JobSummary; outDir: string; firstOutput: string | null; retry: number[] } | null>(null);
  private readonly thumbs = new TaskQueue(2);
  private readonly thumbsAsked = new Set<number>();
  private off: (() => void) | null = null;
  /** Asked before photos leave the list (Refine registers itself). Reactive, so leaveWarning follows it. */
  keeper = $state<WorkKeeper | null>(null);

  constructor(private readonly api = window.revive) {}

  /**
   * Settles once the engine's info and the stored settings have arrived (init). What reads or writes settings waits
   * for it: a Restore pressed in the first moments must not ask for a folder that is already set, and a setting
   * changed then must not be overwritten by the stored one arriving late.
   */
  private loaded: Promise<void> = Promise.resolve();

  async init(): Promise<void> {
    this.off = this.api.onJobEvent((e) => this.onJobEvent(e));
    this.loaded = this.load();
    await this.loaded;
  }

  private async load(): Promise<void> {
    try {
      const [info, settings] = await Promise.all([this.api.getInfo(), this.api.getSettings()]);
      this.info = info;
      this.settings = settings;
      this.provider = info.lastProvider;
    } catch (e) {
      this.say('error', `Revive could not start its photo engine: ${errorText(e)}`);
    }
  }

  dispose(): void {
    this.off?.();
    for (const i of this.items) release(i.thumb);
  }

  say(kind: Notice['kind'], text: string): void {
    this.notice = { kind, text };
  }

  private item(id: number): QueueItem | undefined {
    return this.items.find((i) => i.id === id);
  }

  // ---- adding photos ----

  /** Adds dropped or chosen files and folders (folders are searched for photos). */
  async addPaths(paths: string[]): Promise<void> {
    const unique = [...new Set(paths.filter((p) => typeof p === 'string' && p.length > 0))];
    if (unique.length === 0) {
      this.say('error', 'Revive could not tell where those files are. Try adding them with “Add photos…”.');
      return;
    }
    this.adding = true;
    const known = new Set(this.items.map((i) => i.path));
    const added: QueueItem[] = [];
    const nothing: string[] = [];
    const already: string[] = [];
    try {
      for (const p of unique) {
        let files: string[];
        try {
          files = await this.api.expandInputs([p]);
        } catch (e) {
          this.say('error', `Could not open ${baseName(p)}: ${errorText(e)}`);
          continue;
        }
        const isFolder = !(files.length === 1 && files[0] === p);
        if (isFolder) this.folders.add(p);
        if (files.length === 0) nothing.push(baseName(p));
        for (const f of files) {
          if (known.has(f)) {
            if (!isFolder) already.push(baseName(f));
            continue;
          }
          known.add(f);
          added.push(this.newItem(f, p));
        }
      }
    } finally {
      this.adding = false;
    }
    if (added.length) {
      this.items.push(...added);
      if (this.selectedId === null) this.selectedId = added[0].id;
      this.summary = null;
    }
    if (nothing.length) {
      this.say(
        'info',
        `${nothing.join(', ')}: no photos Revive can read (it reads JPEG, PNG, TIFF, WebP, AVIF, GIF and HEIC).`,
      );
    } else if (already.length && !added.length) {
      this.say('info', `${nameWords(already)} ${already.length === 1 ? 'is' : 'are'} already in the list.`);
    } else if (already.length) {
      this.say('info', `Added ${plural(added.length, 'photo')}; ${nameWords(already)} ${already.length === 1 ? 'was' : 'were'} already in the list.`);
    } else if (added.length) this.notice = null;
  }

  private newItem(path: string, source: string): QueueItem {
    return {
      id: this.nextId++,
      path,
      name: baseName(path),
      source,
      thumb: null,
      thumbError: null,
      status: 'waiting',
      progress: 0,
      waitingFor: null,
      output: null,
      error: null,
      errorKind: null,
      ms: null,
      madeWith: null,
      again: false,
      rev: 0,
      tone: null,
      noiseAmount: null,
      scratches: null,
    };
  }

  /** Loads a photo's thumbnail once (the list asks when the row scrolls into view). */
  async loadThumb(id: number): Promise<void> {
    const it = this.item(id);
    if (!it || this.thumbsAsked.has(id)) return;
    this.thumbsAsked.add(id);
    try {
      const p = await this.thumbs.run(() => this.api.loadPreview(it.path, THUMB_SIZE));
      const live = this.item(id);
      if (live) live.thumb = toPicture(p);
    } catch (e) {
      const live = this.item(id);
      if (live) live.thumbError = errorText(e);
    }
  }

  async addFolder(): Promise<void> {
    try {
      const dir = await this.api.chooseFolder();
      if (dir) await this.addPaths([dir]);
    } catch (e) {
      this.say('error', errorText(e));
    }
  }

  /** The paths a photo's other work may be kept under: the photo and its restored result. */
  private pathsOf(it: QueueItem): string[] {
    return it.output ? [it.path, it.output] : [it.path];
  }

  /** Asks in the notice line before something would be lost; `go` runs when the person confirms. */
  private confirm(text: string, label: string, go: () => void): void {
    this.notice = {
      kind: 'info',
      text,
      actions: [
        { label, run: go, danger: true, testid: 'notice-confirm' },
        { label: 'Keep', run: () => undefined, testid: 'notice-cancel' },
      ],
    };
  }

  /** Removes a photo from the list; asks first when it has refine work that would be lost. */
  remove(id: number, confirmed = false): void {
    if (this.running) return;
    const it = this.item(id);
    if (!it) return;
    const work = confirmed ? null : this.keeper?.unsaved(this.pathsOf(it));
    if (work) {
      this.confirm(`Remove ${it.name} from the list? Its ${work} will be lost.`, 'Remove and discard', () =>
        this.remove(id, true),
      );
      return;
    }
    this.keeper?.forget(this.pathsOf(it));
    release(it.thumb);
    this.items = this.items.filter((i) => i.id !== id);
    if (this.selectedId === id) this.selectedId = this.items[0]?.id ?? null;
  }

  /** Starts afresh with an empty list; asks first when any photo has refine work that would be lost. */
  clear(confirmed = false): void {
    if (this.running) return;
    if (!confirmed && this.keeper) {
      const lost: string[] = [];
      for (const i of this.items) {
        const work = this.keeper.unsaved(this.pathsOf(i));
        if (work) lost.push(`${i.name} (${work})`);
      }
      if (lost.length) {
        this.confirm(`Clear the list? Refine work would be lost: ${lost.join('; ')}.`, 'Clear and discard', () =>
          this.clear(true),
        );
        return;
      }
    }
    this.keeper?.forget(this.items.flatMap((i) => this.pathsOf(i)));
    for (const i of this.items) release(i.thumb);
    this.items = [];
    this.selectedId = null;
    this.summary = null;
    this.folders.clear();
  }

  select(id: number): void {
    this.selectedId = id;
  }

  /** Selects the next (1) or previous (-1) photo of the list; false at its end. */
  step(dir: 1 | -1): boolean {
    if (!this.items.length) return false;
    const at = this.items.findIndex((i) => i.id === this.selectedId);
    const next = at < 0 ? 0 : at + dir;
    if (next < 0 || next >= this.items.length) return false;
    this.selectedId = this.items[next].id;
    return true;
  }

  setPicker(open: (() => void) | null): void {
    this.picker = open;
  }

  /** "Add photos…": the system's file picker. */
  pickPhotos(): void {
    this.picker?.();
  }

  /**
   * What closing or reloading the window would lose, in words (null = nothing): each photo's refine work not saved,
   * and the restore still running. App.svelte keeps a LeaveGuard (./leave.ts) on it, so leaving asks first.
   */
  leaveWarning(): string | null {
    const refine: { name: string; words: string }[] = [];
    for (const i of this.items) {
      const words = this.keeper?.unsaved(this.pathsOf(i));
      if (words) refine.push({ name: i.name, words });
    }
    const job = this.job;
    return leaveWarning({ refine, restore: job ? { done: job.done, total: job.total } : null });
  }

  // ---- settings ----

  async saveSettings(patch: Partial<Settings>): Promise<void> {
    this.settings = { ...this.settings, ...patch };
    await this.loaded;
    try {
      this.settings = await this.api.setSettings(patch);
    } catch (e) {
      this.say('error', `Could not save the setting: ${errorText(e)}`);
    }
  }

  async chooseOutput(): Promise<string | null> {
    try {
      const dir = await this.api.chooseFolder();
      if (dir) await this.saveSettings({ outDir: dir });
      return dir;
    } catch (e) {
      this.say('error', errorText(e));
      return null;
    }
  }

  /** What a restore job gets: the settings, and the model the person chose (or the default; see restoreModel). */
  restoreSettings(): RestoreSettings {
    return restoreSettingsFor(this.settings, this.restoreModel);
  }

  // ---- restore jobs ----

  /** The inputs of a job for these items: a whole folder when all of its photos are in, else the files. */
  private inputsFor(todo: QueueItem[]): string[] {
    const bySource = new Map<string, QueueItem[]>();
    for (const i of todo) bySource.set(i.source, [...(bySource.get(i.source) ?? []), i]);
    const inputs: string[] = [];
    for (const [source, group] of bySource) {
      const all = this.items.filter((i) => i.source === source);
      if (this.folders.has(source) && all.length === group.length) inputs.push(source);
      else inputs.push(...group.map((i) => i.path));
    }
    return inputs;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const todo = this.pending;
    if (todo.length === 0) {
      if (this.stale.length) return this.restoreAgain(this.stale.map((i) => i.id));
      this.say('info', this.items.length ? 'Every photo in the list is already restored.' : 'Add some photos first.');
      return;
    }
    await this.run(todo, this.inputsFor(todo), 'skip');
  }

  /**
   * Restores these photos again with the current settings. What happens to each earlier result is asked once ("replace
   * the earlier result or keep both") and remembered as the restoreAgain setting (changed in Settings).
   */
  async restoreAgain(ids: number[], choice = this.settings.restoreAgain): Promise<void> {
    if (this.running) return;
    const todo = ids.map((id) => this.item(id)).filter((i): i is QueueItem => !!i);
    if (!todo.length) return;
    if (choice === 'ask') {
      const what = todo.length === 1 ? `${todo[0].name} has a restored result already` : `${plural(todo.length, 'photo')} have restored results already`;
      const go = (c: 'replace' | 'keep-both') => () => {
        void this.saveSettings({ restoreAgain: c });
        void this.restoreAgain(ids, c);
      };
      this.notice = {
        kind: 'info',
        text: `${what}. Replace the earlier result, or keep both? Revive remembers your answer (Settings, Output).`,
        actions: [
          { label: 'Replace the earlier result', run: go('replace'), testid: 'again-replace' },
          { label: 'Keep both', run: go('keep-both'), testid: 'again-keep-both' },
          { label: 'Cancel', run: () => undefined, testid: 'notice-cancel' },
        ],
      };
      return;
    }
    await this.run(todo, todo.map((i) => i.path), choice);
  }

  private async run(todo: QueueItem[], inputs: string[], existing: ExistingOutput): Promise<void> {
    await this.loaded;
    if (this.modelProblem) {
      this.say('error', this.modelProblem);
      return;
    }
    const outDir = this.settings.outDir || (await this.chooseOutput());
    if (!outDir) {
      this.say('info', 'Choose where the restored photos should go, then press Restore again.');
      return;
    }
    this.notice = null;
    this.summary = null;
    this.lastBatch = null;
    for (const i of todo) Object.assign(i, { status: 'queued', progress: 0, error: null, errorKind: null, again: false });
    const ids = todo.map((i) => i.id);
    const settings: RestoreSettings = { ...this.restoreSettings(), ...(existing === 'skip' ? {} : { existing }) };
    try {
      const { jobId } = await this.api.startRestore({ inputs, outDir, settings });
      this.jobSettings.set(jobId, settings);
      this.jobOutDir.set(jobId, outDir);
      // the job's 'start' event may already have set this.job (events and replies travel separately)
      if (!this.job && !this.finished.has(jobId)) {
        this.job = { id: jobId, done: 0, total: todo.length, fraction: 0, etaMs: null, cancelling: false };
      }
    } catch (e) {
      for (const id of ids) {
        const it = this.item(id);
        if (it && it.status === 'queued') it.status = 'waiting';
      }
      this.say('error', `Could not start restoring: ${errorText(e)}`);
    }
  }

  async cancel(): Promise<void> {
    const job = this.job;
    if (!job || job.cancelling) return;
    job.cancelling = true;
    try {
      await this.api.cancelJob(job.id);
    } catch (e) {
      this.say('error', `Could not cancel: ${errorText(e)}`);
    }
  }

  /**
   * The photo a job's file is: found by the file's index and checked against its path (a result must belong to its
   * photo: an index that points at another photo falls back to the photo with that path, or to none).
   */
  private itemAt(jobId: string, index: number, input?: string): QueueItem | undefined {
    const id = this.jobFiles.get(jobId)?.get(index);
    const it = id === undefined ? undefined : this.item(id);
    if (input === undefined || it?.path === input) return it;
    return this.items.find((i) => i.path === input);
  }

  /** A file's result folded into its photo (the photo with the result's input path, never another). */
  private fileDone(jobId: string, index: number, r: FileResult): void {
    const it = this.itemAt(jobId, index, r.input);
    if (!it) return;
    const status: ItemStatus =
      r.status === 'ok' ? 'done' : r.status === 'skipped' ? 'skipped' : r.status === 'error' ? 'error' : 'cancelled';
    const made = this.jobSettings.get(jobId) ?? null;
    const maker = r.output ? this.madeFrom.get(r.output) : undefined;
    if (status === 'skipped' && maker !== undefined && maker !== it.path) {
      // the output folder's file of this name was made from another photo this session: never show it as this one's
      Object.assign(it, {
        status: 'error',
        errorKind: 'engine',
        again: true,
        progress: 0,
        waitingFor: null,
        output: null,
        madeWith: null,
        tone: null,
        ms: r.ms,
        error: `${baseName(r.output)} in the output folder was restored from another photo (${maker}). Restore this one again and keep both.`,
      });
      return;
    }
    if (status === 'done') {
      this.madeFrom.set(r.output, it.path);
      it.rev++;
    }
    Object.assign(it, {
      status,
      progress: status === 'done' || status === 'skipped' ? 1 : it.progress,
      waitingFor: null,
      output: r.output || it.output,
      error: r.error ?? (status === 'error' ? 'This photo could not be restored.' : null),
      errorKind: status === 'error' ? (r.errorKind ?? 'engine') : null,
      ms: r.ms,
      // a skip means the earlier result was made from this photo with these settings (RestoreSettings.existing)
      madeWith: status === 'done' ? made : status === 'skipped' ? (it.madeWith ?? made) : it.madeWith,
      tone: (r.info?.tone as ToneInfo | undefined) ?? (status === 'skipped' ? it.tone : null),
      scratches: (r.info?.scratches as ScratchResult | undefined) ?? null,
      noiseAmount: typeof r.info?.local?.amount === 'number' ? r.info.local.amount : status === 'skipped' ? it.noiseAmount : null,
    });
    const sel = this.selected;
    if (status === 'done' && (!sel || (sel.status !== 'done' && sel.status !== 'working'))) this.selectedId = it.id;
  }

  onJobEvent(e: JobEvent): void {
    // a refill is no restore of the list: the photo stays done while its corrected marks are filled (ScratchFix)
    if (e.type === 'start' && e.kind === 'refill') this.refills.add(e.jobId);
    if (this.refills.has(e.jobId)) {
      if (e.type === 'done') this.refills.delete(e.jobId);
      // its new marks, also when the photo is no longer on screen
      if (e.type === 'file-done' && e.result.status === 'ok') {
        const it = this.items.find((i) => i.output === e.result.output);
        if (it) {
          it.scratches = (e.result.info?.scratches as ScratchResult | undefined) ?? it.scratches;
          it.rev++; // the result on screen is loaded again
        }
      }
      return;
    }
    switch (e.type) {
      case 'start': {
        const map = new Map<number, number>();
        const byPath = new Map(this.items.map((i) => [i.path, i]));
        e.files.forEach((f, index) => {
          let it = byPath.get(f.input);
          if (!it) {
            it = this.newItem(f.input, dirName(f.input));
            this.items.push(it);
            it = this.items[this.items.length - 1];
          }
          Object.assign(it, { status: 'queued', output: f.output, progress: 0, error: null });
          map.set(index, it.id);
        });
        this.jobFiles.set(e.jobId, map);
        if (!this.job || this.job.id === e.jobId) {
          this.job = { id: e.jobId, done: 0, total: e.files.length, fraction: 0, etaMs: null, cancelling: this.job?.cancelling ?? false };
        }
        break;
      }
      case 'provider':
        this.provider = e.report;
        if (this.info) this.info.lastProvider = e.report;
        break;
      case 'file-start': {
        const it = this.itemAt(e.jobId, e.index, e.input);
        if (it) Object.assign(it, { status: 'working', progress: 0, waitingFor: null, output: e.output });
        break;
      }
      case 'file-waiting': {
        const it = this.itemAt(e.jobId, e.index);
        if (it) it.waitingFor = e.behind;
        break;
      }
      case 'file-progress': {
        const it = this.itemAt(e.jobId, e.index);
        if (it) Object.assign(it, { progress: e.fraction, waitingFor: null });
        break;
      }
      case 'file-done':
        this.fileDone(e.jobId, e.index, e.result);
        break;
      case 'progress':
        if (this.job && this.job.id === e.jobId) {
          Object.assign(this.job, { done: e.done, total: e.total, fraction: e.fraction, etaMs: e.etaMs });
        }
        break;
      case 'done': {
        const cancelled = this.job?.cancelling ?? false;
        for (const id of this.jobFiles.get(e.jobId)?.values() ?? []) {
          const it = this.item(id);
          if (it && (it.status === 'queued' || it.status === 'working')) {
            if (cancelled) it.status = 'cancelled';
            else Object.assign(it, { status: 'error', error: 'Not restored: the job ended before this photo.' });
          }
        }
        const retry: number[] = [];
        let firstOutput: string | null = null;
        for (const id of this.jobFiles.get(e.jobId)?.values() ?? []) {
          const it = this.item(id);
          if (!it) continue;
          if (isPending(it)) retry.push(id);
          if (!firstOutput && hasResult(it)) firstOutput = it.output;
        }
        this.jobFiles.delete(e.jobId);
        this.finished.add(e.jobId);
        if (!this.job || this.job.id === e.jobId) this.job = null;
        this.summary = e.summary;
        const outDir = this.jobOutDir.get(e.jobId) ?? this.settings.outDir;
        this.jobOutDir.delete(e.jobId);
        this.jobSettings.delete(e.jobId);
        this.lastBatch = { summary: e.summary, outDir, firstOutput, retry };
        this.notice = null;
        break;
      }
    }
  }
}
