// Types for the heic-decode package (libheif compiled to WebAssembly), which ships none.
declare module 'heic-decode' {
  interface HeicImageData {
    width: number;
    height: number;
    /** RGBA, 8 bits a channel, width * height * 4 values. */
    data: Uint8ClampedArray;
  }
  interface HeicFrame {
    width: number;
    height: number;
    decode(): Promise<HeicImageData>;
  }
  /** Decodes the primary image of a HEIC/HEIF file. */
  function decode(opts: { buffer: Uint8Array | ArrayBuffer }): Promise<HeicImageData>;
  namespace decode {
    function all(opts: { buffer: Uint8Array | ArrayBuffer }): Promise<HeicFrame[] & { dispose(): void }>;
  }
  export = decode;
}
