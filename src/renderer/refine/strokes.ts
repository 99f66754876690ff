// The stroke model of Refine, tldraw-style: every stroke is a list of points in photo pixels with its tool, layer,
// colour, size and edge; strokes are rasterised onto one offscreen canvas per layer (the colour "paint" the model
// follows, and the "mask" of where it may change). Undo/redo keep operations, not bitmaps, and the history is bounded
// by bytes: when it grows past the budget, the oldest operations are baked into the layers' base rasters and can no
// longer be undone. Pure: no DOM types, so the tests run it in plain Node with a recording 2D context.

export type Tool = 'brush' | 'eraser';
/** paint: the colour refine follows; mask: where refine may change; color: the Colour brush's strokes (colorize). */
export type Layer = 'paint' | 'mask' | 'color';

export interface Point {
  x: number;
  y: number;
}

export interface Stroke {
  tool: Tool;
  layer: Layer;
  color: string; // #rrggbb (paint); the mask layer ignores it
  size: number; // diameter in photo pixels
  hardness: number; // 0 = soft edge .. 1 = hard edge
  points: Point[];
}

export type Op = { kind: 'stroke'; stroke: Stroke } | { kind: 'clear'; layer: Layer | 'all' };

/** What an operation costs in the history (a point is two doubles; a little for the rest). */
export const POINT_BYTES = 16;
export const OP_BYTES = 96;

export function opBytes(op: Op): number {
  return OP_BYTES + (op.kind === 'stroke' ? op.stroke.points.length * POINT_BYTES : 0);
}

/** Undo/redo over operations, bounded by bytes. */
export class StrokeHistory {
  private done: Op[] = [];
  private undone: Op[] = [];
  private used = 0;

  constructor(readonly maxBytes = 4 * 1024 * 1024) {}

  /** Adds an operation (the redo stack is dropped). Returns the oldest operations that no longer fit, to bake. */
  push(op: Op): Op[] {
    for (const u of this.undone) this.used -= opBytes(u);
    this.undone = [];
    this.done.push(op);
    this.used += opBytes(op);
    const baked: Op[] = [];
    while (this.used > this.maxBytes && this.done.length > 1) {
      const old = this.done.shift()!;
      this.used -= opBytes(old);
      baked.push(old);
    }
    return baked;
  }

  undo(): Op | null {
    const op = this.done.pop();
    if (!op) return null;
    this.undone.push(op);
    return op;
  }

  redo(): Op | null {
    const op = this.undone.pop();
    if (!op) return null;
    this.done.push(op);
    return op;
  }

  /** The operations still undoable, oldest first (drawn over the baked base). */
  get live(): readonly Op[] {
    return this.done;
  }

  get canUndo(): boolean {
    return this.done.length > 0;
  }

  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  get bytes(): number {
    return this.used;
  }

  reset(): void {
    this.done = [];
    this.undone = [];
    this.used = 0;
  }
}

/** Appends a pointer position when it is at least `minDist` from the last one (the first always counts). */
export function addPoint(points: Point[], p: Point, minDist: number): boolean {
  const last = points[points.length - 1];
  if (last && Math.hypot(p.x - last.x, p.y - last.y) < minDist) return false;
  points.push({ x: p.x, y: p.y });
  return true;
}

/** The part of a 2D canvas context the rasteriser uses (CanvasRenderingContext2D has it all). */
export interface Ctx2D {
  globalCompositeOperation: string;
  strokeStyle: unknown;
  fillStyle: unknown;
  lineWidth: number;
  lineCap: string;
  lineJoin: string;
  filter: string;
  save(): void;
  restore(): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  arc(x: number, y: number, r: number, a0: number, a1: number): void;
  stroke(): void;
  fill(): void;
  clearRect(x: number, y: number, w: number, h: number): void;
}

/** Colour the mask layer is drawn in (only its alpha is sent to the engine). */
export const MASK_COLOR = '#5b9cf5';

/** Blur radius (px) of a soft edge, and the core width of the line, for a brush of this size and hardness. */
export function edge(size: number, hardness: number): { width: number; blur: number } {
  const soft = Math.min(1, Math.max(0, 1 - hardness));
  return { width: Math.max(1, size * (1 - 0.45 * soft)), blur: size * 0.22 * soft };
}

/** Draws one stroke on its layer's context. */
export function drawStroke(ctx: Ctx2D, s: Stroke): void {
  if (s.points.length === 0) return;
  const { width, blur } = edge(s.size, s.hardness);
  const color = s.layer === 'mask' ? MASK_COLOR : s.color;
  ctx.save();
  ctx.globalCompositeOperation = s.tool === 'eraser' ? 'destination-out' : 'source-over';
  ctx.filter = blur > 0.3 ? `blur(${blur.toFixed(2)}px)` : 'none';
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.lineWidth = width;
  ctx.beginPath();
  const [first, ...rest] = s.points;
  if (rest.length === 0) {
    ctx.arc(first.x, first.y, width / 2, 0, Math.PI * 2);
    ctx.fill();
  } else {
    ctx.moveTo(first.x, first.y);
    // quadratic smoothing through midpoints would need quadraticCurveTo; straight segments at brush spacing suffice
    for (const p of rest) ctx.lineTo(p.x, p.y);
    ctx.stroke();
  }
  ctx.restore();
}

/** Applies an operation to one layer's context of a w x h canvas. */
export function drawOp(ctx: Ctx2D, op: Op, layer: Layer, w: number, h: number): void {
  if (op.kind === 'clear') {
    if (op.layer === layer || op.layer === 'all') ctx.clearRect(0, 0, w, h);
  } else if (op.stroke.layer === layer) drawStroke(ctx, op.stroke);
}

/** Whether any operation after the last clear of `layer` paints on it (a cheap "is there anything" before export). */
export function mayHavePixels(ops: readonly Op[], layer: Layer, bakedHasPixels: boolean): boolean {
  let any = bakedHasPixels;
  for (const op of ops) {
    if (op.kind === 'clear' && (op.layer === layer || op.layer === 'all')) any = false;
    else if (op.kind === 'stroke' && op.stroke.layer === layer && op.stroke.tool === 'brush') any = true;
  }
  return any;
}

/** Any alpha > 0 in RGBA pixels (ImageData.data). */
export function hasAlpha(rgba: ArrayLike<number>): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] > 0) return true;
  return false;
}

/** #rrggbb from 8-bit RGB. */
export function toHex(r: number, g: number, b: number): string {
  const h = (v: number) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0');
  return `#${h(r)}${h(g)}${h(b)}`;
}
