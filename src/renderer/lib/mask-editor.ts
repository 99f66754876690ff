// What the scratch stage filled, as a picture the person can correct: the found mask (white = filled) coloured on a
// canvas the photo's size, with brush strokes that add marks and eraser strokes that take them away, undoable
// (Refine's stroke model, ../refine/strokes.ts: operations, not bitmaps). export() gives the corrected mask back as
// the engine reads it: an opaque PNG, white where a mark is, black elsewhere; pixels nobody touched are the found
// mask's exactly, so the engine recomputes only where the person changed something.
import { canvas, canvasPng, ctx, LiveStroke, replay } from '../refine/layers';
import { StrokeHistory, type Stroke } from '../refine/strokes';

/** The colour the marks are shown in (over the photo, half transparent). */
export const MARK_COLOR = '#ff2d78';
const MARK_RGB = [0xff, 0x2d, 0x78];

export class MaskEditor {
  /** The canvas on screen: the found marks and the strokes. */
  readonly view: HTMLCanvasElement;
  private readonly base: HTMLCanvasElement;
  readonly history = new StrokeHistory();
  private active: LiveStroke | null = null;
  /** Marked pixels of the found mask. */
  readonly found: number;

  /** @param mask the found mask, decoded (white = filled), the photo's size */
  constructor(mask: CanvasImageSource & { width: number; height: number }) {
    const { width: w, height: h } = mask;
    this.view = canvas(w, h);
    this.base = canvas(w, h);
    const b = ctx(this.base);
    b.drawImage(mask, 0, 0);
    const img = b.getImageData(0, 0, w, h);
    const d = img.data;
    let found = 0;
    for (let i = 0; i < d.length; i += 4) {
      const on = d[i] > 127;
      found += on ? 1 : 0;
      d[i] = MARK_RGB[0];
      d[i + 1] = MARK_RGB[1];
      d[i + 2] = MARK_RGB[2];
      d[i + 3] = on ? 255 : 0;
    }
    b.putImageData(img, 0, 0);
    this.found = found;
    this.redraw();
  }

  get width(): number {
    return this.view.width;
  }

  get height(): number {
    return this.view.height;
  }

  /** Starts a stroke (points may still grow: call update() after adding some). */
  begin(stroke: Stroke): void {
    this.active = new LiveStroke(this.view, stroke);
  }

  update(): void {
    this.active?.update();
  }

  commit(): void {
    const a = this.active;
    this.active = null;
    if (!a || a.stroke.points.length === 0) return;
    // the history keeps every stroke (a correction is a few dozen strokes); nothing falls off to bake
    this.history.push({ kind: 'stroke', stroke: a.stroke });
  }

  redraw(): void {
    replay(this.view, this.base, this.history.live, 'paint');
  }

  undo(): boolean {
    if (!this.history.undo()) return false;
    this.redraw();
    return true;
  }

  redo(): boolean {
    if (!this.history.redo()) return false;
    this.redraw();
    return true;
  }

  /** Whether anything was changed since the found mask. */
  get edited(): boolean {
    return this.history.canUndo;
  }

  /** The corrected mask as an opaque greyscale-looking PNG: white where a mark is (alpha >= 128), black elsewhere. */
  async export(): Promise<Uint8Array> {
    const { width: w, height: h } = this;
    const out = canvas(w, h);
    const o = ctx(out);
    const img = ctx(this.view).getImageData(0, 0, w, h);
    const d = img.data;
    for (let i = 0; i < d.length; i += 4) {
      const v = d[i + 3] >= 128 ? 255 : 0;
      d[i] = d[i + 1] = d[i + 2] = v;
      d[i + 3] = 255;
    }
    o.putImageData(img, 0, 0);
    return canvasPng(out, 'the corrected marks');
  }
}
