// Reading just enough of an ICC profile to recognise sRGB. A profile that says it is sRGB needs no transform (the
// pixels already are sRGB); sending 16-bit data through the colour engine anyway (sRGB -> sharp's 16-bit P3 working
// space -> sRGB) moves some values by more than 1% in the darks, so decode skips it.

/** The profile's description ('desc' tag, ICC v2 text or v4 multi-localised), or undefined. */
export function iccDescription(icc: Uint8Array | undefined | null): string | undefined {
  if (!icc || icc.length < 132) return undefined;
  const b = Buffer.from(icc.buffer, icc.byteOffset, icc.length);
  if (b.toString('latin1', 36, 40) !== 'acsp') return undefined;
  const count = b.readUInt32BE(128);
  for (let i = 0; i < count && 132 + i * 12 + 12 <= b.length; i++) {
    const e = 132 + i * 12;
    if (b.toString('latin1', e, e + 4) !== 'desc') continue;
    const off = b.readUInt32BE(e + 4);
    const size = b.readUInt32BE(e + 8);
    if (off + size > b.length || size < 12) return undefined;
    const type = b.toString('latin1', off, off + 4);
    if (type === 'desc') {
      const n = b.readUInt32BE(off + 8);
      return b.toString('latin1', off + 12, Math.min(off + 12 + n, off + size)).replace(/\0+$/, '');
    }
    if (type === 'mluc') {
      const records = b.readUInt32BE(off + 8);
      const recSize = b.readUInt32BE(off + 12);
      if (records < 1 || recSize < 12) return undefined;
      const len = b.readUInt32BE(off + 16 + 4);
      const start = off + b.readUInt32BE(off + 16 + 8);
      if (start + len > b.length) return undefined;
      const u16 = b.subarray(start, start + len);
      let s = '';
      for (let k = 0; k + 1 < u16.length; k += 2) s += String.fromCharCode((u16[k] << 8) | u16[k + 1]);
      return s.replace(/\0+$/, '');
    }
    return undefined;
  }
  return undefined;
}

/** Whether an RGB profile declares itself sRGB ("sRGB IEC61966-2.1", "sRGB built-in", "sRGB", ...). */
export function isSrgbProfile(icc: Uint8Array | undefined | null): boolean {
  if (!icc || icc.length < 132) return false;
  const b = Buffer.from(icc.buffer, icc.byteOffset, icc.length);
  if (b.toString('latin1', 16, 20) !== 'RGB ') return false;
  const d = iccDescription(icc);
  return !!d && /(^|[^a-z])s ?rgb([^a-z]|$)/i.test(d) && !/linear|scrgb/i.test(d);
}
