import { inflateSync } from 'node:zlib';
import jsQR from 'jsqr';

/**
 * A PDF read the way a reader does, enough for tests to hold a generated document to what it
 * promises: the cross-reference table must point at every object (a reader refuses a file
 * whose offsets are wrong), streams are decoded by their filters, the text shown on the pages
 * is decoded from its strings, and the images are decoded to pixels so a QR code on the page
 * can be scanned. Covers what pdfkit writes (classic xref table, FlateDecode, standard fonts
 * with WinAnsi strings, PNG predictors); not a general PDF library.
 */
export interface ParsedPdf {
  version: string;
  /** Number of pages in the page tree. */
  pages: number;
  /** The document information dictionary's strings (Title, Author, …). */
  info: Record<string, string>;
  /** Every string the page content shows, in order, one entry per text operator. */
  lines: string[];
  /** `lines` joined by spaces, whitespace collapsed: for phrases that may wrap. */
  text: string;
  images: PdfImage[];
}

export interface PdfImage {
  width: number;
  height: number;
  /** Pixels as RGBA, whatever the image's colour space, its soft mask ignored. */
  rgba: Uint8ClampedArray;
}

interface PdfObject {
  dict: string;
  stream: Buffer | null;
}

/** WinAnsiEncoding's bytes 0x80–0x9f that differ from Latin-1 (pdfkit's standard fonts). */
const WIN_ANSI: Record<number, string> = {
  0x80: '€',
  0x82: '‚',
  0x84: '„',
  0x85: '…',
  0x91: '‘',
  0x92: '’',
  0x93: '“',
  0x94: '”',
  0x95: '•',
  0x96: '–',
  0x97: '—',
  0x99: '™',
};
const winAnsi = (bytes: Buffer): string =>
  [...bytes].map((b) => WIN_ANSI[b] ?? String.fromCharCode(b)).join('');

function numberIn(dict: string, key: string): number | undefined {
  const m = new RegExp(`/${key}\\s+(\\d+)(?![\\d\\s]*\\sR)`).exec(dict);
  return m ? Number(m[1]) : undefined;
}

/** Decodes a literal string's escapes: `(a\(b\)c)`. */
function literal(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out.push(s.charCodeAt(i));
      continue;
    }
    const n = s[++i]!;
    const esc: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12, '(': 40, ')': 41, '\\': 92 };
    if (n in esc) out.push(esc[n]!);
    else if (/[0-7]/.test(n)) {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i))![0];
      out.push(parseInt(oct, 8));
      i += oct.length - 1;
    }
  }
  return Buffer.from(out);
}

/** Strips the PNG predictors (`/Predictor` ≥ 10) from decoded image rows. */
function unpredict(data: Buffer, columns: number, bytesPerPixel: number): Buffer {
  const rowLength = columns * bytesPerPixel;
  const rows = data.length / (rowLength + 1);
  const out = Buffer.alloc(rows * rowLength);
  for (let r = 0; r < rows; r++) {
    const filter = data[r * (rowLength + 1)]!;
    for (let i = 0; i < rowLength; i++) {
      const x = data[r * (rowLength + 1) + 1 + i]!;
      const a = i >= bytesPerPixel ? out[r * rowLength + i - bytesPerPixel]! : 0;
      const b = r > 0 ? out[(r - 1) * rowLength + i]! : 0;
      const c = r > 0 && i >= bytesPerPixel ? out[(r - 1) * rowLength + i - bytesPerPixel]! : 0;
      let v: number;
      switch (filter) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + ((a + b) >> 1);
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new Error(`PNG predictor filter ${filter} in row ${r}`);
      }
      out[r * rowLength + i] = v & 0xff;
    }
  }
  return out;
}

function image(o: PdfObject): PdfImage {
  const width = numberIn(o.dict, 'Width')!;
  const height = numberIn(o.dict, 'Height')!;
  const bits = numberIn(o.dict, 'BitsPerComponent');
  if (bits !== 8) throw new Error(`image with ${bits} bits per component`);
  const channels = /\/ColorSpace\s*\/DeviceGray/.test(o.dict)
    ? 1
    : /\/ColorSpace\s*\/DeviceRGB/.test(o.dict)
      ? 3
      : 0;
  if (!channels) throw new Error(`image colour space not understood: ${o.dict}`);
  let data = o.stream!;
  const predictor = numberIn(o.dict, 'Predictor');
  if (predictor && predictor >= 10) data = unpredict(data, numberIn(o.dict, 'Columns') ?? width, channels);
  if (data.length < width * height * channels) throw new Error(`image data too short: ${data.length}`);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) rgba[p * 4 + k] = data[p * channels + (channels === 1 ? 0 : k)]!;
    rgba[p * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

/** The strings a content stream shows (Tj, TJ, ', "), one per operator. */
function shownText(content: string): string[] {
  const lines: string[] = [];
  for (const block of content.matchAll(/\bBT\b([\s\S]*?)\bET\b/g)) {
    for (const op of block[1]!.matchAll(
      /(\[(?:[^\]\\]|\\.)*\]|<[0-9a-fA-F\s]*>|\((?:[^()\\]|\\.)*\))\s*(TJ|Tj|'|")/g,
    )) {
      const parts = [...op[1]!.matchAll(/<([0-9a-fA-F\s]*)>|\(((?:[^()\\]|\\.)*)\)/g)].map((m) =>
        m[1] !== undefined ? Buffer.from(m[1].replace(/\s/g, ''), 'hex') : literal(m[2]!),
      );
      lines.push(winAnsi(Buffer.concat(parts)));
    }
  }
  return lines;
}

export function parsePdf(bytes: Buffer): ParsedPdf {
  const head = /^%PDF-(\d\.\d)/.exec(bytes.subarray(0, 16).toString('latin1'));
  if (!head) throw new Error('not a PDF: no %PDF- header');
  const tail = bytes.subarray(-64).toString('latin1');
  const start = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  if (!start) throw new Error('no startxref … %%EOF at the end');
  const xrefAt = Number(start[1]);
  const xref = bytes.subarray(xrefAt, xrefAt + 64).toString('latin1');
  const section = /^xref\s+(\d+)\s+(\d+)\s+/.exec(xref);
  if (!section) throw new Error(`startxref ${xrefAt} does not point at an xref table`);
  const first = Number(section[1]);
  const count = Number(section[2]);
  const entriesAt = xrefAt + section[0].length;
  const objects = new Map<number, PdfObject>();
  for (let i = 0; i < count; i++) {
    const entry = bytes.subarray(entriesAt + i * 20, entriesAt + i * 20 + 20).toString('latin1');
    const m = /^(\d{10}) (\d{5}) ([nf])/.exec(entry);
    if (!m) throw new Error(`xref entry ${first + i} malformed: ${JSON.stringify(entry)}`);
    if (m[3] !== 'n') continue;
    const num = first + i;
    const at = Number(m[1]);
    const header = new RegExp(`^${num} ${Number(m[2])} obj\\s*`).exec(
      bytes.subarray(at, at + 32).toString('latin1'),
    );
    if (!header) throw new Error(`xref says object ${num} is at ${at}, but it is not there`);
    const body = at + header[0].length;
    const streamKw = bytes.indexOf('stream', body, 'latin1');
    const endObj = bytes.indexOf('endobj', body, 'latin1');
    if (streamKw !== -1 && streamKw < endObj) {
      const dict = bytes.subarray(body, streamKw).toString('latin1');
      const length = numberIn(dict, 'Length');
      if (length === undefined) throw new Error(`object ${num}: stream without a direct /Length`);
      const dataAt = streamKw + (bytes[streamKw + 6] === 13 ? 8 : 7);
      let data = bytes.subarray(dataAt, dataAt + length);
      if (
        !bytes
          .subarray(dataAt + length, dataAt + length + 12)
          .toString('latin1')
          .trim()
          .startsWith('endstream')
      )
        throw new Error(`object ${num}: /Length ${length} does not end at endstream`);
      if (/\/Filter\s*\/FlateDecode/.test(dict)) data = inflateSync(data);
      objects.set(num, { dict, stream: Buffer.from(data) });
    } else {
      objects.set(num, { dict: bytes.subarray(body, endObj).toString('latin1'), stream: null });
    }
  }
  const trailer = bytes.subarray(entriesAt + count * 20, xrefAt + 4096).toString('latin1');
  const ref = (key: string, dict: string) => {
    const m = new RegExp(`/${key}\\s+(\\d+)\\s+0\\s+R`).exec(dict);
    return m ? objects.get(Number(m[1])) : undefined;
  };
  const root = ref('Root', trailer);
  if (!root || !/\/Type\s*\/Catalog/.test(root.dict)) throw new Error('trailer /Root is not a catalog');
  const pageTree = ref('Pages', root.dict);
  if (!pageTree) throw new Error('catalog without /Pages');
  const info: Record<string, string> = {};
  const infoObj = ref('Info', trailer);
  // Each entry a string, written in place or (as pdfkit does) as an indirect object.
  for (const m of (infoObj?.dict ?? '').matchAll(
    /\/(\w+)\s*(\((?:[^()\\]|\\.)*\)|<[0-9a-fA-F]*>|\d+\s+0\s+R)/g,
  )) {
    const raw = m[2]!.endsWith('R') ? (objects.get(parseInt(m[2]!, 10))?.dict.trim() ?? '()') : m[2]!;
    const buf = raw.startsWith('<') ? Buffer.from(raw.slice(1, -1), 'hex') : literal(raw.slice(1, -1));
    // pdfkit writes non-ASCII info strings as UTF-16BE with a byte-order mark.
    info[m[1]!] =
      buf[0] === 0xfe && buf[1] === 0xff
        ? Buffer.from(buf.subarray(2)).swap16().toString('utf16le')
        : winAnsi(buf);
  }
  const lines: string[] = [];
  const images: PdfImage[] = [];
  for (const o of objects.values()) {
    if (/\/Subtype\s*\/Image/.test(o.dict) && !isSoftMask(o, objects)) images.push(image(o));
    else if (o.stream && !/\/Subtype/.test(o.dict) && /\bBT\b/.test(o.stream.toString('latin1')))
      lines.push(...shownText(o.stream.toString('latin1')));
  }
  return {
    version: head[1]!,
    pages: numberIn(pageTree.dict, 'Count') ?? 0,
    info,
    lines,
    text: lines.join(' ').replace(/\s+/g, ' ').trim(),
    images,
  };
}

function isSoftMask(o: PdfObject, objects: Map<number, PdfObject>): boolean {
  for (const [num, other] of objects)
    if (other === o)
      return [...objects.values()].some((x) => new RegExp(`/SMask\\s+${num}\\s+0\\s+R`).test(x.dict));
  return false;
}

/** The QR codes in a PDF's images, decoded as a door camera would (jsQR). */
export function qrCodesIn(pdf: ParsedPdf): string[] {
  return pdf.images.flatMap((img) => {
    const found = jsQR(img.rgba, img.width, img.height);
    return found ? [found.data] : [];
  });
}
