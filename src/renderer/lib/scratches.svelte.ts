// "Show what was fixed": the marks the scratch stage filled in a restored photo, shown over the result, corrected with
// a brush (add a missed scratch) and an eraser (take away a false mark), and filled again (refillScratches: the engine
// recomputes only around what changed and rewrites the result; its progress comes on the job stream, and Cancel
// stops it). One per photo on screen (the Viewer makes it).
import type { AppInfo } from '../../shared/api';
import type { PhotoPoint, Painter } from '../components/compare-types';
import { addPoint, type Stroke } from '../refine/strokes';
import type { QueueItem } from './app.svelte';
import { errorText } from './format';
import { MARK_COLOR, MaskEditor } from './mask-editor';
import { SvelteSet } from 'svelte/reactivity';

/** What a restore or a refill reports of the scratch stage (FileResult.info.scratches). */
export interface ScratchResult {
  pixels: number;
  fraction: number;
  maskFile?: string;
}

export type ScratchTool = 'add' | 'erase';

export const BRUSH_SIZES = { min: 2, max: 120, default: 10 } as const;

/** Whether the models that find and fill scratches are installed (else the stage does nothing: no settings shown). */
export function scratchesInstalled(info: AppInfo | null): boolean {
  const ok = (kind: string) => !!info?.models.some((m) => m.kind === kind && m.sha256Ok);
  return ok('scratch') && ok('fill');
}

/** Every ScratchFix alive (on screen or kept), for what leaving would lose. */
const live = new SvelteSet<ScratchFix>();

/** The names of the photos (of these) whose corrections are not filled yet. */
export function unfilledCorrections(items: readonly QueueItem[]): string[] {
  return [...live].filter((f) => f.edited && items.some((i) => i.id === f.item.id)).map((f) => f.item.name);
}

/** The photos whose corrections are kept while another photo is on screen (unfilled strokes, a fill running). */
// bookkeeping nothing renders: deliberately not reactive
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const kept = new Map<number, ScratchFix>();

export class ScratchFix {
  /** The photo's ScratchFix: the one kept from an earlier visit (its strokes and undo), else a new one. */
  static for(item: QueueItem): ScratchFix {
    const fix = kept.get(item.id);
    const f = fix && fix.item.path === item.path ? fix : new ScratchFix(item);
    f.onScreen = true;
    return f;
  }

  show = $state(false);
  tool = $state<ScratchTool>('add');
  size = $state<number>(BRUSH_SIZES.default);
  editor = $state.raw<MaskEditor | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  job = $state<{ id: string | null; fraction: number; cancelling: boolean } | null>(null);

  // what the editor's history allows, copied after every change (the history itself is not reactive)
  canUndo = $state(false);
  canRedo = $state(false);
  edited = $state(false);
  busy = $derived(this.job !== null);

  private off: (() => void) | null = null;
  private stroke: Stroke | null = null;
  private frame = 0;
  /** The mask file the marks on screen were loaded from. */
  loadedFor: string | null = null;
  private onScreen = false;

  constructor(
    readonly item: QueueItem,
    private readonly api = window.revive,
  ) {
    live.add(this);
    this.off = this.api.onJobEvent((e) => {
      const job = this.job;
      if (!job) return;
      // the job's first events may come before refillScratches answers with its id: the refill of this output is ours
      if (e.type === 'start' && e.kind === 'refill' && job.id === null && e.files[0]?.output === this.item.output) job.id = e.jobId;
      if (e.jobId !== job.id) return;
      if (e.type === 'file-progress') job.fraction = e.fraction;
      else if (e.type === 'file-done') {
        const r = e.result;
        // (AppState records the new marks on the photo; on screen, the Viewer reloads the result and the marks)
        if (r.status === 'ok' && !this.onScreen) {
          // filled while another photo is on screen: nothing is left to keep (the next visit loads the new marks)
          kept.delete(this.item.id);
          this.dispose();
        } else if (r.status === 'error') this.error = `Could not fill the marks: ${r.error ?? 'the engine gave no reason.'}`;
      } else if (e.type === 'done') this.job = null;
    });
  }

  /** The photo has a record of what was fixed (restored in this session with Scratches & dust on). */
  get available(): boolean {
    return this.item.status === 'done' && !!this.item.output && !!this.item.scratches?.maskFile;
  }

  /**
   * The photo leaves the screen: corrections not filled yet (or a fill still running) are kept for its next visit;
   * otherwise everything is let go of.
   */
  leave(): void {
    this.onScreen = false;
    if (this.edited || this.busy) kept.set(this.item.id, this);
    else {
      kept.delete(this.item.id);
      this.dispose();
    }
  }

  dispose(): void {
    live.delete(this);
    this.off?.();
    this.off = null;
    if (this.frame) cancelAnimationFrame(this.frame);
  }

  async toggle(): Promise<void> {
    if (this.show) {
      this.show = false;
      return;
    }
    this.show = true;
    if (!this.editor || this.loadedFor !== this.item.scratches?.maskFile) await this.reload();
  }

  /** Loads the photo's current mask from the engine (after a restore or a fill); the strokes start afresh. */
  async reload(): Promise<void> {
    const output = this.item.output;
    const maskFile = this.item.scratches?.maskFile ?? null;
    if (!output || !maskFile) return;
    this.loading = true;
    this.error = null;
    try {
      const p = await this.api.loadScratchMask(output);
      const bitmap = await createImageBitmap(new Blob([new Uint8Array(p.bytes)], { type: p.mime }));
      this.editor = new MaskEditor(bitmap);
      bitmap.close();
      this.loadedFor = maskFile;
      this.sync();
    } catch (e) {
      this.error = `Could not show what was fixed: ${errorText(e)}`;
    } finally {
      this.loading = false;
    }
  }

  /** The left button over the result while the marks are shown: add or erase marks. */
  readonly painter: Painter = {
    down: (p: PhotoPoint) => {
      const ed = this.editor;
      if (!this.show || !ed || this.job) return false;
      const stroke: Stroke = {
        tool: this.tool === 'erase' ? 'eraser' : 'brush',
        layer: 'paint',
        color: MARK_COLOR,
        size: this.size,
        hardness: 1,
        points: [],
      };
      addPoint(stroke.points, p, 0);
      ed.begin(stroke);
      this.stroke = stroke;
      return true;
    },
    move: (points: PhotoPoint[]) => {
      const s = this.stroke;
      if (!s) return;
      let added = false;
      for (const p of points) added = addPoint(s.points, p, Math.max(0.75, s.size * 0.08)) || added;
      if (added && !this.frame) {
        this.frame = requestAnimationFrame(() => {
          this.frame = 0;
          this.editor?.update();
        });
      }
    },
    up: () => {
      if (this.frame) cancelAnimationFrame(this.frame);
      this.frame = 0;
      this.editor?.update();
      this.editor?.commit();
      this.stroke = null;
      this.sync();
    },
  };

  private sync(): void {
    const h = this.editor?.history;
    this.canUndo = !!h?.canUndo;
    this.canRedo = !!h?.canRedo;
    this.edited = !!this.editor?.edited;
  }

  undo(): void {
    if (this.editor?.undo()) this.sync();
  }

  redo(): void {
    if (this.editor?.redo()) this.sync();
  }

  /** Fills the corrected marks: only the changed area is recomputed; the result on screen updates when it is done. */
  async fill(): Promise<void> {
    const ed = this.editor;
    const output = this.item.output;
    if (!ed || !output || this.job) return;
    this.error = null;
    this.job = { id: null, fraction: 0, cancelling: false };
    try {
      const mask = await ed.export();
      const { jobId } = await this.api.refillScratches({ input: this.item.path, output, mask });
      if (this.job && this.job.id === null) this.job.id = jobId;
    } catch (e) {
      this.job = null;
      this.error = `Could not fill the marks: ${errorText(e)}`;
    }
  }

  async cancel(): Promise<void> {
    const job = this.job;
    if (!job?.id || job.cancelling) return;
    job.cancelling = true;
    try {
      await this.api.cancelJob(job.id);
    } catch (e) {
      this.error = `Could not cancel: ${errorText(e)}`;
    }
  }
}
