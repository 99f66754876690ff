// Previews from the engine (encoded bytes) as blob: URLs, and a small queue so a folder of a thousand photos does
// not ask the engine for a thousand thumbnails at once.
import type { PreviewImage } from '../../shared/api';

export interface Picture {
  url: string; // blob: URL
  width: number; // of the preview
  height: number;
  fullWidth: number; // of the photo
  fullHeight: number;
  bytes?: number; // encoded size (what the blob holds)
}

export function toPicture(p: PreviewImage): Picture {
  const bytes = new Uint8Array(p.bytes); // a copy whose buffer is a plain ArrayBuffer
  const url = URL.createObjectURL(new Blob([bytes], { type: p.mime }));
  return { url, width: p.width, height: p.height, fullWidth: p.fullWidth, fullHeight: p.fullHeight, bytes: bytes.byteLength };
}

export function release(p: Picture | null | undefined): void {
  if (p) URL.revokeObjectURL(p.url);
}

/** Runs at most `limit` tasks at a time, in the order they were added. */
export class TaskQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const go = () => {
        this.running++;
        task()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.waiting.shift()?.();
          });
      };
      if (this.running < this.limit) go();
      else this.waiting.push(go);
    });
  }
}
