// The XMP Revive writes into its outputs: the source's own packet (captions, keywords, people, dates...) kept as it is,
// with what Revive did added the way Lightroom and Photoshop record it: one more xmpMM:History event (action
// "restored", softwareAgent "Revive <version>", when, and the settings as stEvt:parameters), and Revive's own
// properties (revive:SourceSHA256, the content hash of the photo it was made from, and revive:Settings), so a later run
// can tell which photo an output was made from and how. Merging, never replacing: the packet is edited as text at the
// few places that change (XMP has one RDF/XML layout in practice, and a full XML round trip would reformat or drop what
// other programs wrote). A packet that is not recognisably XMP is kept as it is, without Revive's additions.

export const REVIVE_NS = 'http://ns.revive.app/xmp/1.0/';
const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const MM_NS = 'http://ns.adobe.com/xap/1.0/mm/';
const EVT_NS = 'http://ns.adobe.com/xap/1.0/sType/ResourceEvent#';
/** Revive's own properties (replaced on every write; a restored photo restored again records the newer source). */
const REVIVE_PROPS = ['SourceSHA256', 'Settings', 'Notes'] as const;

export interface XmpProvenance {
  /** stEvt:action: what was done ("restored", "refined", "colorized"). */
  action: string;
  /** stEvt:softwareAgent, e.g. "Revive 0.1.0". */
  softwareAgent: string;
  /** stEvt:parameters: the settings, compact (settingsString). */
  parameters?: string;
  /** stEvt:when (default: now). */
  when?: Date;
  /** The content hash (SHA-256, hex) of the photo the output was made from: revive:SourceSHA256. */
  sourceHash?: string;
}

export interface XmpAdditions {
  provenance?: XmpProvenance;
  /** Text of the source that the output format has no other place for (JPEG comments in a TIFF...): revive:Notes. */
  notes?: string[];
}

/** Text as XML character data or attribute value: escaped, characters XML 1.0 forbids left out. */
export function xmlEscape(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function xmlUnescape(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-fA-F]+);/g, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}

const reEsc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The prefixes a packet binds to a namespace URI (xmlns:p="uri"). */
function prefixesOf(xmp: string, ns: string): string[] {
  const re = new RegExp(`xmlns:([A-Za-z_][\\w.-]*)\\s*=\\s*["']${reEsc(ns)}["']`, 'g');
  return [...new Set([...xmp.matchAll(re)].map((m) => m[1]))];
}

/**
 * "model=restore-v2 strength=1 tone.mode=auto format=jpeg quality=92": an object's fields (nested ones with a dotted
 * name) in a stable order, for stEvt:parameters. Undefined fields are left out.
 */
export function settingsString(settings: object): string {
  const parts: string[] = [];
  const walk = (o: object, prefix: string) => {
    for (const k of Object.keys(o).sort()) {
      const v = (o as Record<string, unknown>)[k];
      if (v === undefined || v === null) continue;
      if (typeof v === 'object' && !Array.isArray(v)) walk(v, `${prefix}${k}.`);
      else parts.push(`${prefix}${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
    }
  };
  walk(settings, '');
  return parts.join(' ');
}

function historyEvent(p: XmpProvenance, rdf: string, withNs: boolean): string {
  const when = (p.when ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const fields: [string, string][] = [
    ['action', p.action],
    ['when', when],
    ['softwareAgent', p.softwareAgent],
    ['changed', '/'],
    ...(p.parameters ? [['parameters', p.parameters] as [string, string]] : []),
  ];
  const body = fields.map(([k, v]) => `<stEvt:${k}>${xmlEscape(v)}</stEvt:${k}>`).join('');
  return `<${rdf}:li${withNs ? ` xmlns:stEvt="${EVT_NS}"` : ''} ${rdf}:parseType="Resource">${body}</${rdf}:li>`;
}

function reviveProps(add: XmpAdditions, rdf: string): string {
  const p = add.provenance;
  let s = '';
  if (p?.sourceHash) s += `<revive:SourceSHA256>${xmlEscape(p.sourceHash)}</revive:SourceSHA256>`;
  if (p?.parameters) s += `<revive:Settings>${xmlEscape(p.parameters)}</revive:Settings>`;
  if (add.notes?.length) {
    s += `<revive:Notes><${rdf}:Seq>${add.notes.map((n) => `<${rdf}:li>${xmlEscape(n)}</${rdf}:li>`).join('')}</${rdf}:Seq></revive:Notes>`;
  }
  return s;
}

/** A new packet holding only the additions. */
function freshPacket(add: XmpAdditions): string {
  const p = add.provenance;
  const history = p
    ? `<xmpMM:History><rdf:Seq>${historyEvent(p, 'rdf', false)}</rdf:Seq></xmpMM:History>`
    : '';
  return (
    `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n` +
    `<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Revive">\n` +
    ` <rdf:RDF xmlns:rdf="${RDF_NS}">\n` +
    `  <rdf:Description rdf:about="" xmlns:xmpMM="${MM_NS}" xmlns:stEvt="${EVT_NS}" xmlns:revive="${REVIVE_NS}">` +
    `${reviveProps(add, 'rdf')}${history}</rdf:Description>\n` +
    ` </rdf:RDF>\n` +
    `</x:xmpmeta>\n` +
    `<?xpacket end="w"?>`
  );
}

/** The packet without Revive's own properties from an earlier write (as elements or as attributes). */
function withoutReviveProps(xmp: string): string {
  let s = xmp;
  for (const p of prefixesOf(xmp, REVIVE_NS)) {
    for (const name of REVIVE_PROPS) {
      const q = `${reEsc(p)}:${name}`;
      s = s
        .replace(new RegExp(`<${q}(\\s[^>]*)?/>`, 'g'), '')
        .replace(new RegExp(`<${q}(\\s[^>]*)?>[\\s\\S]*?</${q}>`, 'g'), '')
        .replace(new RegExp(`\\s${q}\\s*=\\s*("[^"]*"|'[^']*')`, 'g'), '');
    }
  }
  return s;
}

/**
 * The packet to write: `xmp` (the source's, or none) with the additions merged in. Without additions the source's
 * packet is returned as it is. A packet with no rdf:RDF element is returned unchanged (nothing safe to add to).
 */
export function mergeXmp(xmp: string | undefined, add: XmpAdditions): string | undefined {
  const adding = !!add.provenance || !!add.notes?.length;
  if (!xmp || !xmp.trim()) return adding ? freshPacket(add) : undefined;
  if (!adding) return xmp;
  const rdfOpen = /<([A-Za-z_][\w.-]*):RDF[\s>]/.exec(xmp);
  if (!rdfOpen) return xmp;
  const rdf = rdfOpen[1];
  if (!prefixesOf(xmp, RDF_NS).includes(rdf)) return xmp;
  let s = withoutReviveProps(xmp);
  let history = '';
  const p = add.provenance;
  if (p) {
    // an existing history: one more event at its end
    let inserted = false;
    for (const mm of prefixesOf(s, MM_NS)) {
      const open = new RegExp(`<${reEsc(mm)}:History(\\s[^>]*)?>\\s*<${reEsc(rdf)}:Seq(\\s[^>]*)?>`).exec(s);
      if (!open) continue;
      const close = s.indexOf(`</${rdf}:Seq>`, open.index + open[0].length);
      if (close < 0) continue;
      s = s.slice(0, close) + historyEvent(p, rdf, true) + s.slice(close);
      inserted = true;
      break;
    }
    if (!inserted) history = `<xmpMM:History><${rdf}:Seq>${historyEvent(p, rdf, false)}</${rdf}:Seq></xmpMM:History>`;
  }
  const desc =
    `<${rdf}:Description ${rdf}:about="" xmlns:revive="${REVIVE_NS}"` +
    (history ? ` xmlns:xmpMM="${MM_NS}" xmlns:stEvt="${EVT_NS}"` : '') +
    `>${reviveProps(add, rdf)}${history}</${rdf}:Description>`;
  const end = s.lastIndexOf(`</${rdf}:RDF>`);
  if (end < 0) return xmp;
  return `${s.slice(0, end)}${desc}\n${s.slice(end)}`;
}

/** What an earlier Revive write recorded in a packet: the source's hash and the settings (for resume). */
export function readReviveXmp(xmp: string | undefined): { sourceHash?: string; settings?: string } {
  const out: { sourceHash?: string; settings?: string } = {};
  if (!xmp) return out;
  for (const p of prefixesOf(xmp, REVIVE_NS)) {
    const get = (name: string) => {
      const q = `${reEsc(p)}:${name}`;
      const el = new RegExp(`<${q}(?:\\s[^>]*)?>([^<]*)</${q}>`).exec(xmp);
      const at = new RegExp(`\\s${q}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(xmp);
      const v = el?.[1] ?? at?.[1] ?? at?.[2];
      return v === undefined ? undefined : xmlUnescape(v);
    };
    out.sourceHash ??= get('SourceSHA256');
    out.settings ??= get('Settings');
  }
  return out;
}
