// Zoom and pan of a photo in a stage, as pure functions: `scale` is CSS px per photo px, (tx, ty) where the photo's
// top-left corner sits in the stage. A photo smaller than the stage is centred; a larger one cannot be dragged away.

export interface View {
  scale: number;
  tx: number;
  ty: number;
}

export interface Size {
  w: number;
  h: number;
}

export function clampView(v: View, stage: Size, photo: Size): View {
  const iw = photo.w * v.scale;
  const ih = photo.h * v.scale;
  return {
    scale: v.scale,
    tx: iw <= stage.w ? (stage.w - iw) / 2 : Math.min(0, Math.max(stage.w - iw, v.tx)),
    ty: ih <= stage.h ? (stage.h - ih) / 2 : Math.min(0, Math.max(stage.h - ih, v.ty)),
  };
}

export function fitScale(stage: Size, photo: Size, pad = 24): number {
  return Math.max(0.001, Math.min((stage.w - 2 * pad) / photo.w, (stage.h - 2 * pad) / photo.h));
}

export function fitView(stage: Size, photo: Size, pad = 24): View {
  return clampView({ scale: fitScale(stage, photo, pad), tx: 0, ty: 0 }, stage, photo);
}

/** Zooms to `next` keeping the photo point under (cx, cy) where it is; the scale is clamped to [min, max]. */
export function zoomAt(v: View, cx: number, cy: number, next: number, min: number, max: number, stage: Size, photo: Size): View {
  const s = Math.min(max, Math.max(min, next));
  return clampView({ scale: s, tx: cx - ((cx - v.tx) * s) / v.scale, ty: cy - ((cy - v.ty) * s) / v.scale }, stage, photo);
}

/** Stage coordinates to photo pixels. */
export function toPhoto(v: View, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - v.tx) / v.scale, y: (sy - v.ty) / v.scale };
}
