// Print damage painted on a clean photo, for the scratch tests (engine, refill, e2e): a long bright scratch 2 px wide
// (a sine curve across the photo), a thin dark hairline, and a scatter of dark and light specks 3-5 px across.
import sharp from 'sharp';

export interface Rgb8 {
  width: number;
  height: number;
  rgb: Uint8Array | Uint16Array;
}

/** The photo with damage painted on, and where it was painted (1 = painted). */
export function paintDamage<I extends Rgb8>(img: I): { damaged: I; painted: Uint8Array } {
  const { width: W, height: H } = img;
  const rgb = Uint8Array.from(img.rgb);
  const painted = new Uint8Array(W * H);
  const put = (x: number, y: number, v: number) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const i = y * W + x;
    painted[i] = 1;
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = v;
  };
  for (let x = 0; x < W; x++) {
    const y = Math.round(H * 0.35 + 25 * Math.sin(x / 40));
    put(x, y, 250);
    put(x, y + 1, 246);
    const y2 = Math.round(H * 0.7 + 12 * Math.sin(x / 23 + 1));
    if (x > W * 0.2 && x < W * 0.8) put(x, y2, 12);
  }
  let seed = 3;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let k = 0; k < 25; k++) {
    const cx = Math.floor(rand() * W);
    const cy = Math.floor(rand() * H);
    const r = 1 + rand() * 1.5;
    const v = k % 2 ? 8 : 248;
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) if (dx * dx + dy * dy <= r * r) put(cx + dx, cy + dy, v);
  }
  return { damaged: { ...img, rgb }, painted };
}

/** Writes 8-bit RGB as a PNG file. */
export async function writeRgbPng(file: string, img: Rgb8): Promise<void> {
  await sharp(Buffer.from(img.rgb.buffer, img.rgb.byteOffset, img.rgb.byteLength), {
    raw: { width: img.width, height: img.height, channels: 3 },
  })
    .png()
    .toFile(file);
}
