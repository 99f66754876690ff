// Metadata archivists rely on, from source to output: XMP (captions, keywords, people, dates), IPTC, JPEG comments,
// PNG text chunks, TIFF ImageDescription/Artist/Copyright, across format changes; no DPI invented; Revive's own record
// (an xmpMM:History event, revive:SourceSHA256) merged into the source's XMP. Sources are built here byte by byte;
// outputs are read back with sharp (libvips, libpng, libtiff, libwebp), an XML parser, and the readers of archival.ts.
import { DOMParser } from '@xmldom/xmldom';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iptcFromPhotoshop, readArchival, readTiffTags } from '../../src/core/image/archival';
import { decodeImage } from '../../src/core/image/decode';
import { encodeImage, outputExtension } from '../../src/core/image/encode';
import { addTiffTags } from '../../src/core/image/tiff';
import { mergeXmp, readReviveXmp, REVIVE_NS, settingsString } from '../../src/core/image/xmp';
import { reviveVersion } from '../../src/core/version';
import { fromRaw, makeTmpDir, pattern, pixels16, pngChunks } from '../helpers/images';

const NS = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dc: 'http://purl.org/dc/elements/1.1/',
  mm: 'http://ns.adobe.com/xap/1.0/mm/',
  evt: 'http://ns.adobe.com/xap/1.0/sType/ResourceEvent#',
  ext: 'http://iptc.org/std/Iptc4xmpExt/2008-02-29/',
  ps: 'http://ns.adobe.com/photoshop/1.0/',
};

const CAPTION = 'Grandma Rosa at the pier, Trieste — summer 1952';
const SOURCE_XMP = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="${NS.rdf}">
  <rdf:Description rdf:about="" xmlns:dc="${NS.dc}" xmlns:Iptc4xmpExt="${NS.ext}" xmlns:photoshop="${NS.ps}"
    photoshop:DateCreated="1952-07-14">
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">${CAPTION}</rdf:li></rdf:Alt></dc:description>
   <dc:subject><rdf:Bag><rdf:li>family</rdf:li><rdf:li>Trieste</rdf:li></rdf:Bag></dc:subject>
   <Iptc4xmpExt:PersonInImage><rdf:Bag><rdf:li>Rosa Benedetti</rdf:li></rdf:Bag></Iptc4xmpExt:PersonInImage>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;

/** IPTC-IIM: record 2 datasets (120 caption, 25 keyword, 80 by-line). */
function iim(sets: [number, string][]): Buffer {
  return Buffer.concat(
    sets.map(([ds, text]) => {
      const v = Buffer.from(text, 'utf8');
      const h = Buffer.from([0x1c, 2, ds, 0, 0]);
      h.writeUInt16BE(v.length, 3);
      return Buffer.concat([h, v]);
    }),
  );
}
const IPTC = iim([
  [120, 'Rosa at the pier'],
  [25, 'family'],
  [80, 'Studio Foto Adria'],
]);

function seg(marker: number, payload: Buffer): Buffer {
  const h = Buffer.from([0xff, marker, 0, 0]);
  h.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([h, payload]);
}

/** A JPEG with segments put right after SOI (by hand, independent of containers.ts). */
function withSegments(jpeg: Buffer, segs: Buffer[]): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), ...segs, jpeg.subarray(2)]);
}

function photoshop(iptc: Buffer): Buffer {
  const r = Buffer.alloc(12);
  r.write('8BIM', 0, 'latin1');
  r.writeUInt16BE(0x0404, 4);
  r.writeUInt32BE(iptc.length, 8);
  return Buffer.concat([Buffer.from('Photoshop 3.0\0', 'latin1'), r, iptc, Buffer.alloc(iptc.length & 1)]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(zlib.crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

/** A PNG with chunks put after IHDR. */
function withChunks(png: Buffer, chunks: Buffer[]): Buffer {
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd)]);
}

const tEXt = (k: string, t: string) => chunk('tEXt', Buffer.concat([Buffer.from(`${k}\0`, 'latin1'), Buffer.from(t, 'latin1')]));
const zTXt = (k: string, t: string) =>
  chunk('zTXt', Buffer.concat([Buffer.from(`${k}\0\0`, 'latin1'), zlib.deflateSync(Buffer.from(t, 'latin1'))]));
const iTXt = (k: string, t: string, lang = '') =>
  chunk('iTXt', Buffer.concat([Buffer.from(`${k}\0\0\0${lang}\0\0`, 'latin1'), Buffer.from(t, 'utf8')]));

function parseXml(xml: string): Document {
  const errors: string[] = [];
  const doc = new DOMParser({
    errorHandler: { warning: () => undefined, error: (e) => errors.push(String(e)), fatalError: (e) => errors.push(String(e)) },
  }).parseFromString(xml.replace(/^\uFEFF/, ''), 'text/xml');
  expect(errors).toEqual([]);
  return doc as unknown as Document;
}

const texts = (doc: Document, ns: string, name: string) =>
  Array.from(doc.getElementsByTagNameNS(ns, name)).map((e) => e.textContent ?? '');

/** The XMP history events of a packet, as objects (parsed as XML). */
function history(xmp: string): Record<string, string>[] {
  const doc = parseXml(xmp);
  const out: Record<string, string>[] = [];
  for (const h of Array.from(doc.getElementsByTagNameNS(NS.mm, 'History'))) {
    for (const li of Array.from(h.getElementsByTagNameNS(NS.rdf, 'li'))) {
      const e: Record<string, string> = {};
      for (const c of Array.from(li.childNodes) as Element[]) if (c.namespaceURI === NS.evt) e[c.localName] = c.textContent ?? '';
      for (const a of Array.from(li.attributes)) if (a.namespaceURI === NS.evt) e[a.localName] = a.value;
      out.push(e);
    }
  }
  return out;
}

/** Checks that a packet still says what the source's said (caption, keywords, person, date). */
function expectSourceXmp(xmp: string): void {
  const doc = parseXml(xmp);
  expect(texts(doc, NS.dc, 'description')[0]).toContain(CAPTION);
  const subject = doc.getElementsByTagNameNS(NS.dc, 'subject')[0];
  expect(Array.from(subject.getElementsByTagNameNS(NS.rdf, 'li')).map((e) => e.textContent)).toEqual(['family', 'Trieste']);
  expect(texts(doc, NS.ext, 'PersonInImage')[0]).toContain('Rosa Benedetti');
  expect(xmp).toContain('photoshop:DateCreated="1952-07-14"');
}

async function tiffTag(file: string, tag: number): Promise<Buffer | undefined> {
  const b = fs.readFileSync(file);
  const t = await readTiffTags(async (p, l) => b.subarray(p, p + l), b.length, [tag]);
  return t.get(tag);
}

const W = 40;
const H = 30;
const HASH = 'a'.repeat(64);
const PROV = { settings: 'format=same quality=92 strength=1', sourceHash: HASH, when: new Date('2026-12-06T12:00:00Z') };

let dir: string;
let cleanup: () => void;
let n = 0;
const out = (ext: string) => path.join(dir, `out-${++n}${ext}`);

beforeAll(() => {
  ({ dir, cleanup } = makeTmpDir('revive-archival-'));
});
afterAll(() => cleanup());

/** A scanned-print JPEG: no JFIF (so no DPI), XMP, IPTC, two comments, EXIF with Artist and Copyright. */
async function archivedJpeg(): Promise<string> {
  const plain = await fromRaw(pattern(W, H), W, H, 3)
    .withExif({ IFD0: { Artist: 'Studio Foto Adria', Copyright: '(c) Benedetti family', Make: 'Epson' } })
    .jpeg({ quality: 95 })
    .toBuffer();
  const file = path.join(dir, `src-${++n}.jpg`);
  const segs = [
    seg(0xe1, Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), Buffer.from(SOURCE_XMP, 'utf8')])),
    seg(0xed, photoshop(IPTC)),
    seg(0xfe, Buffer.from('Scanned 2024 by Marta; print had a crease', 'utf8')),
    seg(0xfe, Buffer.from('Rückseite: „Triest 1952"', 'utf8')),
  ];
  fs.writeFileSync(file, withSegments(plain, segs));
  return file;
}

describe('JPEG source with XMP, IPTC, comments and EXIF text, into every format', () => {
  it.each(['jpeg', 'png', 'tiff', 'webp'] as const)('-> %s', async (format) => {
    const src = await decodeImage(await archivedJpeg());
    expect(src.meta.archival?.comments).toEqual(['Scanned 2024 by Marta; print had a crease', 'Rückseite: „Triest 1952"']);
    expect(src.meta.archival?.iptc?.equals(IPTC)).toBe(true);
    const file = out(outputExtension(format));
    await encodeImage(src, file, { format, provenance: PROV });
    const m = await sharp(file, { failOn: 'warning' }).metadata();
    expect([m.width, m.height]).toEqual([W, H]);
    const xmp = m.xmp!.toString('utf8');
    expectSourceXmp(xmp);
    const events = history(xmp);
    expect(events).toEqual([
      {
        action: 'restored',
        when: '2026-12-06T12:00:00Z',
        softwareAgent: `Revive ${reviveVersion()}`,
        changed: '/',
        parameters: PROV.settings,
      },
    ]);
    expect(reviveVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(readReviveXmp(xmp)).toEqual({ sourceHash: HASH, settings: PROV.settings });
    const back = (await readArchival(file, format === 'jpeg' ? 'jpeg' : format)).archival!;
    expect(back.xmp).toBe(xmp);
    if (format === 'jpeg') {
      expect(back.comments).toEqual(src.meta.archival!.comments);
      expect(back.iptc!.equals(IPTC)).toBe(true);
      expect(iptcFromPhotoshop(m.iptc!)!.equals(IPTC)).toBe(true); // libvips finds it too
      expect(m.exif!.includes('Studio Foto Adria')).toBe(true);
    }
    if (format === 'png') {
      expect(back.text).toEqual(src.meta.archival!.comments!.map((text) => ({ keyword: 'Comment', text })));
      expect(back.iptc!.equals(IPTC)).toBe(true);
      expect(m.exif!.includes('(c) Benedetti family')).toBe(true);
      expect(pngChunks(fs.readFileSync(file))).not.toContain('pHYs');
    }
    if (format === 'tiff') {
      expect((await tiffTag(file, 315))!.toString('latin1')).toBe('Studio Foto Adria\0');
      expect((await tiffTag(file, 33432))!.toString('latin1')).toBe('(c) Benedetti family\0');
      expect(back.iptc!.equals(IPTC)).toBe(true);
      // comments have no TIFF place: kept in the XMP
      const notes = parseXml(xmp).getElementsByTagNameNS(REVIVE_NS, 'Notes')[0];
      expect(Array.from(notes.getElementsByTagNameNS(NS.rdf, 'li')).map((e) => e.textContent)).toEqual(src.meta.archival!.comments);
      expect((await tiffTag(file, 296))!.readUInt16LE(0)).toBe(1); // resolution unit: none
      expect(m.density).toBeUndefined();
    }
    if (format === 'webp') {
      expect(m.exif!.includes('Studio Foto Adria')).toBe(true);
      expect(texts(parseXml(xmp), REVIVE_NS, 'Notes')[0]).toContain('Scanned 2024 by Marta');
    }
  });

  it('-> AVIF: the XMP packet through libvips (AVIF has no place for IPTC or comments but the XMP notes)', async () => {
    const src = await decodeImage(await archivedJpeg());
    const file = out('.avif');
    await encodeImage(src, file, { format: 'avif', provenance: PROV });
    const xmp = (await sharp(file).metadata()).xmp!.toString('utf8');
    expectSourceXmp(xmp);
    expect(history(xmp)).toHaveLength(1);
    expect(texts(parseXml(xmp), REVIVE_NS, 'Notes')[0]).toContain('Scanned 2024 by Marta');
  });

  it('a JPEG that states no DPI gives outputs that state none (libvips reads 72 by default)', async () => {
    // no JFIF, no EXIF: nothing says how many dots per inch
    const file = path.join(dir, `src-${++n}.jpg`);
    await fromRaw(pattern(W, H), W, H, 3).jpeg().toFile(file);
    expect(fs.readFileSync(file).subarray(2, 4)).toEqual(Buffer.from([0xff, 0xdb]));
    expect((await sharp(file).metadata()).density).toBe(72); // libvips' default, not the file's
    const src = await decodeImage(file);
    expect(src.meta.density).toBeUndefined();
    const jpg = out('.jpg');
    await encodeImage(src, jpg, { format: 'jpeg' });
    expect((await readArchival(jpg, 'jpeg')).densityStated).toBe(false);
    const png = out('.png');
    await encodeImage(src, png, { format: 'png' });
    expect(pngChunks(fs.readFileSync(png))).not.toContain('pHYs'); // (libvips then reads its 72 default)
    const tif = out('.tif');
    await encodeImage(src, tif, { format: 'tiff' });
    expect((await tiffTag(tif, 296))!.readUInt16LE(0)).toBe(1); // "no absolute unit", not libvips' 25.4 dpi
  });

  it('a restored photo restored again: one more history event, the source hash replaced', async () => {
    const first = out('.jpg');
    await encodeImage(await decodeImage(await archivedJpeg()), first, { format: 'jpeg', provenance: PROV });
    const second = out('.png');
    const hash2 = 'b'.repeat(64);
    await encodeImage(await decodeImage(first), second, { format: 'png', provenance: { settings: 'strength=0.5', sourceHash: hash2 } });
    const xmp = (await sharp(second).metadata()).xmp!.toString('utf8');
    expectSourceXmp(xmp);
    expect(history(xmp).map((e) => e.parameters)).toEqual([PROV.settings, 'strength=0.5']);
    expect(readReviveXmp(xmp)).toEqual({ sourceHash: hash2, settings: 'strength=0.5' });
    expect(xmp.split('SourceSHA256>').length).toBe(3); // one element: open and close tag
  });
});

describe('PNG source with text chunks (16-bit with alpha)', () => {
  async function textPng(): Promise<string> {
    const px = pixels16(W, H, 4, (x, y) => [x * 1600, y * 2100, 30000, 65535 - x * 800]);
    const png = await fromRaw(px, W, H, 4).toColourspace('rgb16').png().toBuffer();
    const file = path.join(dir, `src-${++n}.png`);
    fs.writeFileSync(
      file,
      withChunks(png, [
        tEXt('Title', 'Wedding, 1931'),
        tEXt('Author', 'A. Moretti'),
        zTXt('Comment', 'Restored from a glass negative. '.repeat(60)),
        iTXt('Description', 'Свадьба, 1931', 'ru'),
        iTXt('XML:com.adobe.xmp', SOURCE_XMP),
      ]),
    );
    return file;
  }

  it('-> PNG: every chunk kept (16-bit and alpha too), XMP merged', async () => {
    const src = await decodeImage(await textPng());
    expect(src.bitDepth).toBe(16);
    expect(src.meta.archival!.text!.map((e) => e.keyword)).toEqual(['Title', 'Author', 'Comment', 'Description']);
    const file = out('.png');
    await encodeImage(src, file, { format: 'png', provenance: PROV });
    const m = await sharp(file, { failOn: 'warning' }).metadata();
    expect([m.depth, m.hasAlpha]).toEqual(['ushort', true]);
    const back = (await readArchival(file, 'png')).archival!;
    expect(back.text).toEqual(src.meta.archival!.text);
    expect(back.text![3]).toEqual({ keyword: 'Description', text: 'Свадьба, 1931', lang: 'ru' });
    expectSourceXmp(back.xmp!);
    expect(history(back.xmp!)).toHaveLength(1);
    const comments = (m.comments ?? []).map((c) => c.keyword);
    expect(comments).toEqual(expect.arrayContaining(['Title', 'Author', 'Comment']));
  });

  it('-> JPEG and TIFF: Author and Description become Artist and ImageDescription, the rest comments', async () => {
    const src = await decodeImage(await textPng());
    const jpg = out('.jpg');
    await encodeImage(src, jpg, { format: 'jpeg' });
    const back = (await readArchival(jpg, 'jpeg')).archival!;
    expect(back.comments![0]).toBe('Title: Wedding, 1931');
    expect(back.comments![1]).toMatch(/^Restored from a glass negative/);
    const exif = (await sharp(jpg).metadata()).exif!;
    expect(exif.includes('A. Moretti')).toBe(true);
    expect(exif.includes(Buffer.from('Свадьба, 1931'))).toBe(true);
    expectSourceXmp(back.xmp!);
    expect(history(back.xmp!)).toEqual([]); // no provenance asked: the source's packet as it was

    const tif = out('.tif');
    await encodeImage(src, tif, { format: 'tiff', provenance: PROV });
    expect((await sharp(tif).metadata()).depth).toBe('ushort');
    expect((await tiffTag(tif, 315))!.toString()).toBe('A. Moretti\0');
    expect((await tiffTag(tif, 270))!.toString()).toBe('Свадьба, 1931\0');
  });
});

describe('TIFF source with ImageDescription, Artist, Copyright, XMP, IPTC and 600 dpi', () => {
  it('-> TIFF, JPEG, WebP keep them (and the DPI)', async () => {
    const tiff = await fromRaw(pattern(W, H), W, H, 3).withDensity(600).tiff().toBuffer();
    const ascii = (s: string) => Buffer.from(`${s}\0`, 'latin1');
    const tagged = addTiffTags(tiff, [
      { tag: 270, type: 2, count: 14, data: ascii('Box 12, No. 7') },
      { tag: 315, type: 2, count: 11, data: ascii('E. Marconi') },
      { tag: 33432, type: 2, count: 11, data: ascii('Archivio X') },
      { tag: 700, type: 1, count: Buffer.byteLength(SOURCE_XMP), data: Buffer.from(SOURCE_XMP) },
      { tag: 33723, type: 7, count: IPTC.length, data: IPTC },
    ])!;
    const file = path.join(dir, `src-${++n}.tif`);
    fs.writeFileSync(file, tagged);
    const src = await decodeImage(file);
    expect(src.meta.archival!.artist!.toString()).toBe('E. Marconi');
    expect(src.meta.density).toBe(600);

    const t = out('.tif');
    await encodeImage(src, t, { format: 'tiff', provenance: PROV });
    expect((await tiffTag(t, 270))!.toString()).toBe('Box 12, No. 7\0');
    expect((await tiffTag(t, 33432))!.toString()).toBe('Archivio X\0');
    expect((await tiffTag(t, 33723))!.equals(IPTC)).toBe(true);
    const mt = await sharp(t, { failOn: 'warning' }).metadata();
    expect(mt.iptc!.equals(IPTC)).toBe(true); // libtiff finds it too
    expect(mt.density).toBe(600);
    expectSourceXmp(mt.xmp!.toString());

    for (const format of ['jpeg', 'webp'] as const) {
      const f = out(outputExtension(format));
      await encodeImage(src, f, { format, provenance: PROV });
      const m = await sharp(f).metadata();
      expect(m.exif!.includes('E. Marconi')).toBe(true);
      expect(m.exif!.includes('Box 12, No. 7')).toBe(true);
      expectSourceXmp(m.xmp!.toString());
      if (format === 'jpeg') expect(m.density).toBe(600);
    }
  });
});

describe('damaged metadata is left out, the photo still opens', () => {
  it('PNG: a zTXt that is not zlib, an iTXt without its NULs, a zTXt bomb', async () => {
    const png = await fromRaw(pattern(W, H), W, H, 3).png().toBuffer();
    const bomb = chunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024, 65))]));
    const file = path.join(dir, `bad-${++n}.png`);
    fs.writeFileSync(
      file,
      withChunks(png, [
        chunk('zTXt', Buffer.from('Comment\0\0not zlib at all', 'latin1')),
        chunk('iTXt', Buffer.from('Title', 'latin1')),
        bomb,
        tEXt('Title', 'kept'),
      ]),
    );
    const img = await decodeImage(file);
    expect(img.meta.archival!.text).toEqual([{ keyword: 'Title', text: 'kept' }]);
  });

  it('JPEG: a comment segment whose length runs past the end of the file', async () => {
    const jpg = await fromRaw(pattern(W, H), W, H, 3).jpeg().toBuffer();
    const file = path.join(dir, `bad-${++n}.jpg`);
    const cut = Buffer.from([0xff, 0xfe, 0xff, 0xf0, 0x41]);
    fs.writeFileSync(file, withSegments(jpg, [seg(0xfe, Buffer.from('first')), cut]));
    const r = await readArchival(file, 'jpeg');
    expect(r.archival?.comments).toEqual(['first']);
  });
});

describe('mergeXmp', () => {
  const prov = { action: 'restored', softwareAgent: 'Revive 9.9.9', parameters: 'a=1 b="x"&<y>', when: new Date(0) };

  it('appends to an existing history instead of adding a second one', () => {
    const withHistory = SOURCE_XMP.replace(
      '</rdf:Description>',
      `<xmpMM:History xmlns:xmpMM="${NS.mm}"><rdf:Seq><rdf:li xmlns:stEvt="${NS.evt}" stEvt:action="saved" stEvt:softwareAgent="Adobe Photoshop Lightroom"/></rdf:Seq></xmpMM:History></rdf:Description>`,
    );
    const merged = mergeXmp(withHistory, { provenance: prov })!;
    const doc = parseXml(merged);
    expect(doc.getElementsByTagNameNS(NS.mm, 'History').length).toBe(1);
    expect(history(merged).map((e) => [e.action, e.softwareAgent])).toEqual([
      ['saved', 'Adobe Photoshop Lightroom'],
      ['restored', 'Revive 9.9.9'],
    ]);
    expect(history(merged)[1].parameters).toBe('a=1 b="x"&<y>');
    expectSourceXmp(merged);
  });

  it('a fresh packet when there is none; the source as it was when nothing is added or it is not XMP', () => {
    const fresh = mergeXmp(undefined, { provenance: prov })!;
    expect(history(fresh)).toHaveLength(1);
    expect(mergeXmp(undefined, {})).toBeUndefined();
    expect(mergeXmp(SOURCE_XMP, {})).toBe(SOURCE_XMP);
    expect(mergeXmp('not xmp at all', { provenance: prov })).toBe('not xmp at all');
  });

  it('settingsString: stable, nested fields dotted, undefined left out', () => {
    expect(settingsString({ strength: 1, format: 'png', stages: { tone: { mode: 'auto', enabled: true } }, tile: undefined })).toBe(
      'format=png stages.tone.enabled=true stages.tone.mode=auto strength=1',
    );
  });
});

describe('a restore job records itself', () => {
  it("the output of runRestoreJob keeps the source's XMP and comments and says how it was restored", async () => {
    const { SessionCache } = await import('../../src/core/inference/session');
    const { runRestoreJob } = await import('../../src/core/jobs/batch');
    const { FIXTURES } = await import('./restore-helpers');
    const sessions = new SessionCache({ threads: 1 });
    try {
      const src = await archivedJpeg();
      const outDir = path.join(dir, 'job-out');
      const settings = { device: 'cpu', strength: 0.75, format: 'png', quality: 90 } as const;
      const outputs: string[] = [];
      const summary = await runRestoreJob(
        { inputs: [src], outDir, settings },
        { sessions, modelsDir: FIXTURES, onEvent: (e) => e.type === 'file-done' && outputs.push(e.result.output) },
      );
      expect([summary.ok, summary.failed]).toEqual([1, 0]);
      const file = outputs[0];
      const back = (await readArchival(file, 'png')).archival!;
      expectSourceXmp(back.xmp!);
      const [event] = history(back.xmp!);
      expect(event.action).toBe('restored');
      expect(event.parameters).toBe(settingsString(settings));
      expect(event.parameters).toContain('strength=0.75');
      expect(back.text!.map((e) => e.text)).toEqual(['Scanned 2024 by Marta; print had a crease', 'Rückseite: „Triest 1952"']);
    } finally {
      await sessions.dispose();
    }
  });
});
