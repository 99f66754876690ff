// Zoom and pan of a photo in a stage, as state (Svelte 5 runes) over the pure maths of ./viewport.ts: wheel zoom
// around the cursor, drag to pan, Fit (kept while the stage resizes) and 100% (one photo pixel per screen pixel).
// Shared by the comparison view (Compare.svelte) and Refine's painting surface (RefineCanvas.svelte).
import { clampView, fitScale, fitView, zoomAt, type Size, type View } from './viewport';

export class ZoomPan {
  /** The stage's size in CSS px (bind:clientWidth / bind:clientHeight). */
  cw = $state(0);
  ch = $state(0);
  view = $state<View>({ scale: 1, tx: 0, ty: 0 });
  /** Fit mode: the photo keeps fitting the stage until the person zooms or pans. */
  fitted = $state(true);
  readonly dpr = window.devicePixelRatio || 1;

  box = $derived<Size>({ w: this.cw, h: this.ch });
  photo = $derived.by<Size>(() => this.size());
  /** The zoom in percent of the photo's pixels per screen pixel. */
  zoomPct = $derived(Math.round(this.view.scale * this.dpr * 100));
  fitScale = $derived(fitScale(this.box, this.photo));

  /**
   * @param size the photo's full size (read reactively)
   * @param onZoom called after every zoom (not after fit or pan), e.g. to ask for a sharper preview
   */
  constructor(
    private readonly size: () => Size,
    private readonly onZoom?: () => void,
  ) {}

  fit(): void {
    this.fitted = true;
    this.view = fitView(this.box, this.photo);
  }

  /** Zooms to `next` (CSS px per photo px) keeping the photo point under stage point (cx, cy) in place. */
  zoomTo(cx: number, cy: number, next: number): void {
    const min = Math.min(this.fitScale, 1 / this.dpr) / 2;
    this.view = zoomAt(this.view, cx, cy, next, min, 16 / this.dpr, this.box, this.photo);
    this.fitted = false;
    this.onZoom?.();
  }

  actualSize(): void {
    this.zoomTo(this.cw / 2, this.ch / 2, 1 / this.dpr);
  }

  panBy(dx: number, dy: number): void {
    this.view = clampView({ ...this.view, tx: this.view.tx + dx, ty: this.view.ty + dy }, this.box, this.photo);
    this.fitted = false;
  }

  /** Keeps fitting while in fit mode (call from an $effect: it reads the stage and photo sizes). */
  keepFitted(ready = true): void {
    if (this.fitted && this.cw > 0 && this.ch > 0 && ready) this.view = fitView(this.box, this.photo);
  }

  /**
   * Wheel zoom around the cursor on `el`, with a non-passive listener so the page does not scroll. `local` maps a
   * point of `el` to the stage's (side by side: either half is the stage). Returns the cleanup.
   */
  wheel(el: HTMLElement, local: (x: number, y: number) => { x: number; y: number } = (x, y) => ({ x, y })): () => void {
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      const unit = e.deltaMode === 1 ? 0.05 : 0.0015;
      const p = local(e.clientX - r.left, e.clientY - r.top);
      this.zoomTo(p.x, p.y, this.view.scale * Math.exp(-e.deltaY * unit));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }
}
