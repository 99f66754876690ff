// Refine's stroke model (src/renderer/refine/strokes.ts): the byte-bounded undo history, point sampling, and how
// strokes are drawn (recorded on a fake 2D context), plus the viewport maths of src/renderer/lib/viewport.ts.
import { describe, expect, it } from 'vitest';
import {
  addPoint,
  drawOp,
  drawStroke,
  edge,
  hasAlpha,
  MASK_COLOR,
  mayHavePixels,
  OP_BYTES,
  opBytes,
  POINT_BYTES,
  StrokeHistory,
  toHex,
  type Ctx2D,
  type Op,
  type Stroke,
} from '../../src/renderer/refine/strokes';
import { clampView, fitView, toPhoto, zoomAt } from '../../src/renderer/lib/viewport';

const stroke = (n: number, over: Partial<Stroke> = {}): Stroke => ({
  tool: 'brush',
  layer: 'paint',
  color: '#112233',
  size: 10,
  hardness: 1,
  points: Array.from({ length: n }, (_, i) => ({ x: i, y: i })),
  ...over,
});
const op = (s: Stroke): Op => ({ kind: 'stroke', stroke: s });

function recorder() {
  const calls: string[] = [];
  const state: Record<string, unknown> = {};
  const ctx = new Proxy(state, {
    get(t, k: string) {
      if (k in t) return t[k];
      return (...a: unknown[]) => calls.push(`${k}(${a.map((x) => (typeof x === 'number' ? +x.toFixed(2) : x)).join(',')})`);
    },
    set(t, k: string, v) {
      t[k] = v;
      calls.push(`${k}=${v}`);
      return true;
    },
  }) as unknown as Ctx2D;
  return { ctx, calls };
}

describe('StrokeHistory', () => {
  it('undoes and redoes operations in order; a new operation drops the redo stack', () => {
    const h = new StrokeHistory();
    const a = op(stroke(3));
    const b = op(stroke(4));
    h.push(a);
    h.push(b);
    expect(h.live).toEqual([a, b]);
    expect(h.undo()).toBe(b);
    expect(h.canRedo).toBe(true);
    expect(h.live).toEqual([a]);
    expect(h.redo()).toBe(b);
    expect(h.redo()).toBeNull();
    h.undo();
    const c = op(stroke(1));
    h.push(c);
    expect(h.canRedo).toBe(false);
    expect(h.live).toEqual([a, c]);
    expect(h.undo()).toBe(c);
    expect(h.undo()).toBe(a);
    expect(h.undo()).toBeNull();
    expect(h.canUndo).toBe(false);
  });

  it('is bounded by bytes: the oldest operations fall off (to be baked) and can no longer be undone', () => {
    const size = opBytes(op(stroke(100)));
    expect(size).toBe(OP_BYTES + 100 * POINT_BYTES);
    const h = new StrokeHistory(size * 3);
    const ops = Array.from({ length: 5 }, () => op(stroke(100)));
    const baked = ops.flatMap((o) => h.push(o));
    expect(baked).toEqual([ops[0], ops[1]]);
    expect(h.live).toEqual(ops.slice(2));
    expect(h.bytes).toBeLessThanOrEqual(size * 3);
    // one huge stroke is kept (the last operation always stays undoable)
    const big = op(stroke(10_000));
    expect(h.push(big)).toEqual(ops.slice(2));
    expect(h.live).toEqual([big]);
  });

  it('counts the redo stack until a new operation drops it', () => {
    const h = new StrokeHistory();
    h.push(op(stroke(10)));
    h.push(op(stroke(10)));
    const full = h.bytes;
    h.undo();
    expect(h.bytes).toBe(full);
    h.push({ kind: 'clear', layer: 'all' });
    expect(h.bytes).toBe(opBytes(op(stroke(10))) + OP_BYTES);
    h.reset();
    expect([h.bytes, h.canUndo, h.canRedo]).toEqual([0, false, false]);
  });
});

describe('points and drawing', () => {
  it('keeps pointer samples at least the spacing apart', () => {
    const pts: { x: number; y: number }[] = [];
    expect(addPoint(pts, { x: 0, y: 0 }, 5)).toBe(true);
    expect(addPoint(pts, { x: 3, y: 0 }, 5)).toBe(false);
    expect(addPoint(pts, { x: 5, y: 0 }, 5)).toBe(true);
    expect(pts).toEqual([{ x: 0, y: 0 }, { x: 5, y: 0 }]);
  });

  it('draws a brush stroke as a round line in its colour; a soft edge blurs and thins it', () => {
    const { ctx, calls } = recorder();
    drawStroke(ctx, stroke(3, { hardness: 1 }));
    expect(calls).toContain('globalCompositeOperation=source-over');
    expect(calls).toContain('strokeStyle=#112233');
    expect(calls).toContain('filter=none');
    expect(calls).toContain('lineWidth=10');
    expect(calls.filter((c) => c.startsWith('lineTo'))).toHaveLength(2);
    expect(calls.at(-2)).toBe('stroke()');
    const soft = edge(10, 0);
    expect(soft.width).toBeLessThan(10);
    expect(soft.blur).toBeGreaterThan(1);
    const r = recorder();
    drawStroke(r.ctx, stroke(2, { hardness: 0 }));
    expect(r.calls).toContain(`filter=blur(${soft.blur.toFixed(2)}px)`);
  });

  it('draws a single click as a dot, erases with destination-out, and the mask in the mask colour', () => {
    const dot = recorder();
    drawStroke(dot.ctx, stroke(1));
    expect(dot.calls).toContain('arc(0,0,5,0,6.28)');
    expect(dot.calls).toContain('fill()');
    const er = recorder();
    drawStroke(er.ctx, stroke(2, { tool: 'eraser' }));
    expect(er.calls).toContain('globalCompositeOperation=destination-out');
    const m = recorder();
    drawStroke(m.ctx, stroke(2, { layer: 'mask' }));
    expect(m.calls).toContain(`strokeStyle=${MASK_COLOR}`);
    const none = recorder();
    drawStroke(none.ctx, stroke(0));
    expect(none.calls).toEqual([]);
  });

  it('applies an operation only to its own layer; clear empties the layer it names', () => {
    const p = recorder();
    drawOp(p.ctx, op(stroke(2, { layer: 'mask' })), 'paint', 10, 10);
    expect(p.calls).toEqual([]);
    drawOp(p.ctx, { kind: 'clear', layer: 'all' }, 'paint', 10, 10);
    drawOp(p.ctx, { kind: 'clear', layer: 'mask' }, 'paint', 10, 10);
    expect(p.calls).toEqual(['clearRect(0,0,10,10)']);
  });

  it('tells whether a layer may hold pixels, and reads alpha', () => {
    const paint = op(stroke(2));
    const mask = op(stroke(2, { layer: 'mask' }));
    expect(mayHavePixels([paint], 'paint', false)).toBe(true);
    expect(mayHavePixels([mask], 'paint', false)).toBe(false);
    expect(mayHavePixels([paint, { kind: 'clear', layer: 'paint' }], 'paint', false)).toBe(false);
    expect(mayHavePixels([], 'paint', true)).toBe(true);
    expect(mayHavePixels([op(stroke(2, { tool: 'eraser' }))], 'mask', false)).toBe(false);
    expect(hasAlpha([9, 9, 9, 0, 1, 1, 1, 0])).toBe(false);
    expect(hasAlpha([9, 9, 9, 0, 1, 1, 1, 3])).toBe(true);
    expect(toHex(255, 128.4, 0)).toBe('#ff8000');
    expect(toHex(-3, 300, 15)).toBe('#00ff0f');
  });
});

describe('viewport', () => {
  const stage = { w: 800, h: 600 };
  const photo = { w: 400, h: 1200 };

  it('fits the photo with a margin, centred', () => {
    const v = fitView(stage, photo);
    expect(v.scale).toBeCloseTo((600 - 48) / 1200);
    expect(v.tx).toBeCloseTo((800 - 400 * v.scale) / 2);
    expect(v.ty).toBeCloseTo(24);
  });

  it('zooms around the cursor: the photo point under it stays under it', () => {
    const big = { w: 2000, h: 2000 };
    const v = { scale: 1, tx: -500, ty: -500 };
    const before = toPhoto(v, 300, 300);
    const z = zoomAt(v, 300, 300, 2, 0.1, 8, stage, big);
    expect(z.scale).toBe(2);
    const after = toPhoto(z, 300, 300);
    expect(after.x).toBeCloseTo(before.x);
    expect(after.y).toBeCloseTo(before.y);
    expect(zoomAt(v, 0, 0, 100, 0.1, 8, stage, big).scale).toBe(8);
  });

  it('keeps a large photo covering the stage and a small one centred when panning', () => {
    const c = clampView({ scale: 1, tx: 500, ty: 100 }, stage, photo);
    expect(c.tx).toBe(200); // narrower than the stage: centred
    expect(c.ty).toBe(0); // taller: its top cannot come below the stage's top
    expect(clampView({ scale: 1, tx: 0, ty: -5000 }, stage, photo).ty).toBe(600 - 1200);
  });
});
