// revive colorize <photo> --strokes STROKES.png --out FILE [--quality N] [--json]
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { colorizeImage } from '../core/colorize';
import { decodeColorStrokes } from '../core/colorize/inputs';
import { decodeImage } from '../core/image/decode';
import { encodeImage, formatForPath } from '../core/image/encode';
import { type CliIO, formatMs, UsageError } from './io';

export const usage = `usage: revive colorize <photo> --strokes STROKES.png --out FILE [options]

Colours a black-and-white photo (or recolours a colour one) from a few painted strokes: the photo's lightness is
kept and each stroke's colour spreads over the parts of similar lightness around it, stopping at edges. Where no
colour reaches, the photo stays as it was. The photo itself is never overwritten.

options:
  --strokes FILE         RGBA PNG the size of the photo: painted where alpha > 0, in the colour wanted (required)
  -o, --out FILE         the result (required; format from the extension: .png .jpg .webp .tif .avif)
  --quality N            1..100 for lossy formats (default 92)
  --json                 one JSON object on stdout: input, output, status, ms, painted and changed pixels (or error)
  -h, --help             this help

Exit status: 0 done, 1 the colouring failed, 2 usage error.
`;

export interface ColorizeArgs {
  input: string;
  strokes: string;
  out: string;
  quality: number;
  json: boolean;
}

export function parseColorizeArgs(args: string[], cwd: string): ColorizeArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      strokes: { type: 'string' },
      out: { type: 'string', short: 'o' },
      quality: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError('give exactly one photo to colour');
  if (!values.strokes) throw new UsageError('--strokes FILE is required');
  if (!values.out) throw new UsageError('--out FILE is required');
  const input = path.resolve(cwd, positionals[0]);
  const out = path.resolve(cwd, values.out);
  if (out === input) throw new UsageError('--out must not be the photo itself: the original is never overwritten');
  if (!formatForPath(out)) throw new UsageError('--out must end in .png, .jpg, .webp, .tif or .avif (the format follows it)');
  const q = values.quality === undefined ? 92 : Number(values.quality);
  if (!Number.isInteger(q) || q < 1 || q > 100) throw new UsageError(`--quality must be an integer from 1 to 100, got "${values.quality}"`);
  return { input, strokes: path.resolve(cwd, values.strokes), out, quality: q, json: values.json ?? false };
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const a = parseColorizeArgs(args, io.cwd);
  const started = performance.now();
  try {
    let bytes: Uint8Array;
    try {
      bytes = await fsp.readFile(a.strokes);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`cannot read the strokes ${a.strokes}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const photo = await decodeImage(a.input);
    const strokes = await decodeColorStrokes(bytes, photo.width, photo.height);
    const { image, stats } = colorizeImage(photo, strokes);
    await encodeImage(image, a.out, {
      format: formatForPath(a.out)!,
      quality: a.quality,
      inputPath: a.input,
      provenance: { action: 'colorized' },
    });
    const ms = Math.round(performance.now() - started);
    if (a.json) {
      io.out(JSON.stringify({ input: a.input, output: a.out, status: 'ok', ms, painted: stats.painted, changed: stats.changed }) + '\n');
    } else io.out(`${a.out}\n`);
    const none = stats.painted === 0 ? ' (nothing was painted: the photo is unchanged)' : '';
    io.err(`revive: coloured ${a.input} -> ${a.out} in ${formatMs(ms)}${none}\n`);
    return 0;
  } catch (e) {
    const error = (e as Error)?.message ?? String(e);
    if (a.json) io.out(JSON.stringify({ input: a.input, output: a.out, status: 'error', ms: Math.round(performance.now() - started), error }) + '\n');
    io.err(`revive colorize: ${error}\n`);
    return 1;
  }
}
