// The words the renderer shows (src/renderer/lib/format.ts): time left, durations, provider reports, file errors.
import { describe, expect, it } from 'vitest';
import { aboutFile, baseName, describeProvider, dirName, expectedPlace, errorText, formatEta, formatMs, plural, shortPath } from '../../src/renderer/lib/format';

describe('format', () => {
  it('says how long is left, in round numbers', () => {
    expect(formatEta(null)).toBe('estimating time left…');
    expect(formatEta(2_000)).toBe('almost done');
    expect(formatEta(23_000)).toBe('about 25 s left');
    expect(formatEta(7 * 60_000)).toBe('about 7 min left');
    expect(formatEta(125 * 60_000)).toBe('about 2 h 5 min left');
    expect(formatMs(640)).toBe('640 ms');
    expect(formatMs(1234)).toBe('1.2 s');
    expect(formatMs(61_000)).toBe('1 min 1 s');
  });

  it('names the processor and why a faster one was not used', () => {
    expect(describeProvider(null)).toEqual({ label: 'not started yet', detail: null });
    expect(describeProvider({ requested: 'auto', used: 'cuda', fallbacks: [] })).toEqual({ label: 'on your NVIDIA GPU', detail: null });
    expect(describeProvider({ requested: 'auto', used: 'cpu', fallbacks: [], precision: 'int8' })).toEqual({ label: 'on the processor', detail: null });
    expect(
      describeProvider({
        requested: 'cpu',
        used: 'cpu',
        fallbacks: [],
        precisionNote: 'the int8 copy was not used: Model file models/x.int8.onnx is damaged (checksum mismatch). Reinstall Revive.',
      }).detail,
    ).toBe('The quicker processor copy of the model was not used (Model file models/x.int8.onnx is damaged (checksum mismatch). Reinstall Revive.)');
    // a machine without an NVIDIA GPU hears nothing about CUDA (issue 15)
    expect(
      describeProvider({
        requested: 'auto',
        used: 'cpu',
        fallbacks: [
          { provider: 'cuda', reason: 'no NVIDIA GPU driver is loaded on this machine' },
          { provider: 'webgpu', reason: 'the only GPU WebGPU can use here is llvmpipe, a software renderer without a real GPU' },
        ],
      }),
    ).toEqual({ label: 'on the processor', detail: null });
    // one that has a GPU Revive could not use is told why
    expect(
      describeProvider({ requested: 'auto', used: 'cpu', fallbacks: [{ provider: 'cuda', reason: 'the CUDA 12 libraries are not installed' }] }),
    ).toEqual({ label: 'on the processor', detail: 'Your NVIDIA GPU was not used: the CUDA 12 libraries are not installed' });
    expect(expectedPlace(['cpu'])).toBe('on the processor');
    expect(expectedPlace(['webgpu', 'cpu'])).toBe('on the processor'); // maybe only a software renderer
    expect(expectedPlace(['cuda', 'cpu'])).toBe('on your NVIDIA GPU when it can, else on the processor');
  });

  it('speaks of a file from the list’s point of view', () => {
    const p = '/home/ann/scans/torn.jpg';
    expect(aboutFile(`"${p}" is incomplete: the file ends early.`, p)).toBe('This file is incomplete: the file ends early.');
    expect(aboutFile(`Could not write next to ${p}.`, p)).toBe('Could not write next to torn.jpg.');
    expect(aboutFile('No model.', p)).toBe('No model.');
  });

  it('handles paths, plurals and wrapped errors', () => {
    expect(baseName('/a/b/c.png')).toBe('c.png');
    expect(baseName('C:\\photos\\x.jpg')).toBe('x.jpg');
    expect(dirName('/a/b/c.png')).toBe('/a/b');
    expect(dirName('/c.png')).toBe('/');
    expect(plural(1, 'photo')).toBe('1 photo');
    expect(plural(3, 'photo')).toBe('3 photos');
    expect(shortPath('/short')).toBe('/short');
    expect(shortPath('/home/someone/Pictures/Family/Old scans/restored')).toBe('…/Family/Old scans/restored');
    expect(errorText(new Error("Error invoking remote method 'x': Error: bad thing"))).toBe('bad thing');
    expect(errorText('plain')).toBe('plain');
    expect(errorText(42)).toBe('Something went wrong.');
  });
});
