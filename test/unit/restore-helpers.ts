// Shared by the engine tests (models, sessions, tiling, restore, jobs, service, CLI): fixture models, real photos
// (test/helpers/photos.ts, made from samples/), temp folders under test/.tmp.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Manifest, RestoreModel } from '../../src/shared/types';

export const ROOT = path.resolve(__dirname, '../..');
export const FIXTURES = path.join(ROOT, 'test/fixtures/models');
export { crops, OLD_PHOTOS } from '../helpers/photos';

export function fixtureManifest(): Manifest {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')) as Manifest;
}

export function restoreEntry(id = 'restore-fixture'): RestoreModel {
  const e = fixtureManifest().models.find((m) => m.id === id);
  if (!e || e.kind !== 'restore') throw new Error(`${id} missing from test/fixtures/models/manifest.json`);
  return e;
}

/** A fresh temp folder under test/.tmp (ignored by git), removed by the caller's afterAll/afterEach if wanted. */
export function tmpDir(prefix: string): string {
  const base = path.join(ROOT, 'test/.tmp');
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, `${prefix}-`));
}

export function rmrf(p: string): void {
  fs.rmSync(p, { recursive: true, force: true });
}

/** Copies the fixture models into <dir>/models (so messages read models/<file>) and returns that folder. */
export function copyFixtureModels(dir: string): string {
  const dst = path.join(dir, 'models');
  fs.mkdirSync(dst, { recursive: true });
  for (const f of fs.readdirSync(FIXTURES)) {
    if (f.endsWith('.onnx') || f === 'manifest.json') fs.copyFileSync(path.join(FIXTURES, f), path.join(dst, f));
  }
  return dst;
}

export interface RawImage {
  width: number;
  height: number;
  bitDepth: 8 | 16;
  rgb: Uint8Array | Uint16Array;
  alpha?: Uint8Array | Uint16Array;
}

/** A real photo as 8-bit interleaved RGB (sharp, straight from the dataset file). */
export async function loadRgb(file: string, crop?: { left: number; top: number; width: number; height: number }): Promise<RawImage> {
  let s = sharp(file).removeAlpha().toColourspace('srgb');
  if (crop) s = s.extract(crop);
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, bitDepth: 8, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export function to16(img: RawImage): RawImage {
  const rgb = new Uint16Array(img.rgb.length);
  for (let i = 0; i < rgb.length; i++) rgb[i] = img.rgb[i] * 257;
  return { ...img, bitDepth: 16, rgb };
}

/** Max abs difference of two images' pixels, in [0, 1] units. */
export function maxAbsDiff(a: RawImage, b: RawImage): number {
  if (a.rgb.length !== b.rgb.length) throw new Error('size mismatch');
  const max = a.bitDepth === 16 ? 65535 : 255;
  let m = 0;
  for (let i = 0; i < a.rgb.length; i++) m = Math.max(m, Math.abs(a.rgb[i] - b.rgb[i]));
  return m / max;
}


export const cpus = os.cpus().length;
