// The two stroke layers of Refine as canvases the size of the photo: what is shown (baked base + undoable operations
// + the stroke being drawn), and the PNGs sent to the engine. The model (history, drawing) is ./strokes.ts.
import {
  drawOp,
  drawStroke,
  hasAlpha,
  mayHavePixels,
  StrokeHistory,
  type Ctx2D,
  type Layer,
  type Op,
  type Stroke,
} from './strokes';

const LAYERS: Layer[] = ['paint', 'mask', 'color'];

/** A w x h canvas (not in the document). */
export function canvas(w: number, h: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  return c;
}

export function ctx(c: HTMLCanvasElement): CanvasRenderingContext2D {
  const x = c.getContext('2d', { willReadFrequently: false });
  if (!x) throw new Error('This computer could not give Revive a drawing surface.');
  return x;
}

export class StrokeLayers {
  /** The canvases on screen, one per layer. */
  readonly view: Record<Layer, HTMLCanvasElement>;
  private readonly base: Record<Layer, HTMLCanvasElement>;
  private readonly baseHas: Record<Layer, boolean> = { paint: false, mask: false, color: false };
  readonly history: StrokeHistory;
  private active: LiveStroke | null = null;

  constructor(
    readonly width: number,
    readonly height: number,
    maxHistoryBytes?: number,
  ) {
    this.view = { paint: canvas(width, height), mask: canvas(width, height), color: canvas(width, height) };
    this.base = { paint: canvas(width, height), mask: canvas(width, height), color: canvas(width, height) };
    this.history = new StrokeHistory(maxHistoryBytes);
  }

  /** Starts drawing a stroke (its points may still grow; call update() after adding some). */
  begin(stroke: Stroke): void {
    this.active = new LiveStroke(this.view[stroke.layer], stroke);
  }

  /** Redraws the layer of the stroke being drawn: the layer as it was, then the whole stroke so far. */
  update(): void {
    this.active?.update();
  }

  /** Ends the stroke: it joins the history (what falls off the history's byte budget is baked into the base). */
  commit(): void {
    const a = this.active;
    this.active = null;
    if (!a || a.stroke.points.length === 0) return;
    this.push({ kind: 'stroke', stroke: a.stroke });
  }

  private push(op: Op): void {
    const baked = this.history.push(op);
    for (const b of baked) {
      for (const l of LAYERS) drawOp(ctx(this.base[l]) as unknown as Ctx2D, b, l, this.width, this.height);
      this.baseHas.paint = mayHavePixels([b], 'paint', this.baseHas.paint);
      this.baseHas.mask = mayHavePixels([b], 'mask', this.baseHas.mask);
      this.baseHas.color = mayHavePixels([b], 'color', this.baseHas.color);
    }
    if (op.kind === 'clear') this.redraw();
  }

  /** Rebuilds the shown layers from the base and the undoable operations. */
  redraw(): void {
    for (const l of LAYERS) replay(this.view[l], this.base[l], this.history.live, l);
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

  clear(layer: Layer | 'all'): void {
    this.push({ kind: 'clear', layer });
  }

  /** Whether a layer may have painted pixels (from the operations; cheap, may say yes for fully erased strokes). */
  mayHave(layer: Layer): boolean {
    return mayHavePixels(this.history.live, layer, this.baseHas[layer]);
  }

  private hasPixels(c: HTMLCanvasElement): boolean {
    return hasAlpha(ctx(c).getImageData(0, 0, this.width, this.height).data);
  }

  private static png(c: HTMLCanvasElement): Promise<Uint8Array> {
    return canvasPng(c, 'the strokes');
  }

  /**
   * The Colour brush's strokes as an RGBA PNG for colorize: the photo's size, or scaled to fit `maxSize` (for the
   * live preview). Null when nothing is painted with it.
   */
  async exportColor(maxSize?: number): Promise<Uint8Array | null> {
    if (!this.mayHave('color')) return null;
    const s = maxSize ? Math.min(1, maxSize / Math.max(this.width, this.height)) : 1;
    let c = this.view.color;
    if (s < 1) {
      c = canvas(Math.max(1, Math.round(this.width * s)), Math.max(1, Math.round(this.height * s)));
      ctx(c).drawImage(this.view.color, 0, 0, c.width, c.height);
    }
    if (!hasAlpha(ctx(c).getImageData(0, 0, c.width, c.height).data)) return null;
    return StrokeLayers.png(c);
  }

  /**
   * The request's images: `strokes` (the paint layer, RGBA, transparent where nothing is painted) and, when the
   * mask layer has anything, `mask` = paint and mask together (alpha > 0 = may change). Null when nothing is painted.
   */
  async export(): Promise<{ strokes: Uint8Array; mask?: Uint8Array } | null> {
    const paint = this.hasPixels(this.view.paint);
    const mask = this.hasPixels(this.view.mask);
    if (!paint && !mask) return null;
    const strokes = await StrokeLayers.png(this.view.paint);
    if (!mask) return { strokes };
    const union = canvas(this.width, this.height);
    const u = ctx(union);
    u.drawImage(this.view.paint, 0, 0);
    u.drawImage(this.view.mask, 0, 0);
    return { strokes, mask: await StrokeLayers.png(union) };
  }
}

/** A canvas as PNG bytes (what the engine gets); `what` names it in the message when the browser cannot encode it. */
export async function canvasPng(c: HTMLCanvasElement, what: string): Promise<Uint8Array> {
  const blob = await new Promise<Blob | null>((resolve) => c.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error(`Revive could not prepare ${what}.`);
  return new Uint8Array(await blob.arrayBuffer());
}

/** Makes `target` a copy of `from` (the same size). */
function copyOver(target: HTMLCanvasElement, from: HTMLCanvasElement): CanvasRenderingContext2D {
  const c = ctx(target);
  c.save();
  c.globalCompositeOperation = 'copy';
  c.drawImage(from, 0, 0);
  c.restore();
  return c;
}

/** Draws `target` afresh: the baked `base`, then the operations on `layer`. */
export function replay(target: HTMLCanvasElement, base: HTMLCanvasElement, ops: readonly Op[], layer: Layer): void {
  const c = copyOver(target, base);
  for (const op of ops) drawOp(c as unknown as Ctx2D, op, layer, target.width, target.height);
}

/** A stroke being drawn on a canvas: each update() shows the canvas as it was before, then the whole stroke so far. */
export class LiveStroke {
  private readonly before: HTMLCanvasElement;

  constructor(
    private readonly target: HTMLCanvasElement,
    readonly stroke: Stroke,
  ) {
    this.before = canvas(target.width, target.height);
    ctx(this.before).drawImage(target, 0, 0);
    this.update();
  }

  update(): void {
    drawStroke(copyOver(this.target, this.before) as unknown as Ctx2D, this.stroke);
  }
}
