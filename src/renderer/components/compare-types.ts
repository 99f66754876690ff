// The hooks of the comparison view (Compare.svelte) for a layer over the result: where the photo is on screen, and a
// painter that takes the left button (points in photo pixels).

/** Where the photo is drawn in the stage (CSS px), and the pointer over the stage (null when it is elsewhere). */
export interface OverlayView {
  /** CSS px per photo px. */
  scale: number;
  tx: number;
  ty: number;
  /** The photo's drawn size. */
  width: number;
  height: number;
  cursor: { x: number; y: number } | null;
}

export interface PhotoPoint {
  x: number;
  y: number;
}

/** Takes the left button: down() says whether it starts a stroke; move() gets the pointer's positions since the last. */
export interface Painter {
  down(p: PhotoPoint): boolean;
  move(points: PhotoPoint[]): void;
  up(): void;
}
