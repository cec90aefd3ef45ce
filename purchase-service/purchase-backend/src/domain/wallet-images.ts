import { crc32, deflateSync } from 'node:zlib';

/** RGBA pixels as a PNG file (8-bit truecolour with alpha, one IDAT). */
function png(width: number, height: number, rgba: Uint8Array): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body) >>> 0, body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const rows = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++)
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(rows, y * (width * 4 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const GOLD = [0xf5, 0xb8, 0x3d] as const;
const NAVY = [0x27, 0x20, 0x6b] as const;

/** Inside a rounded rectangle [x0,x1]×[y0,y1] with corner radius r. */
const inRounded = (x: number, y: number, x0: number, y0: number, x1: number, y1: number, r: number) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};

/**
 * The TicketSlave mark (the pages' favicon: a navy ticket with its two notches on a gold
 * rounded square, drawn on a 32-unit grid) at `size` pixels, 4×4 supersampled. Drawn here
 * rather than shipped as files, so the bundled service needs no asset next to it.
 */
function mark(size: number): Buffer {
  const rgba = new Uint8Array(size * size * 4);
  const samples = 4;
  for (let py = 0; py < size; py++)
    for (let px = 0; px < size; px++) {
      let gold = 0;
      let navy = 0;
      for (let sy = 0; sy < samples; sy++)
        for (let sx = 0; sx < samples; sx++) {
          const x = ((px + (sx + 0.5) / samples) * 32) / size;
          const y = ((py + (sy + 0.5) / samples) * 32) / size;
          if (!inRounded(x, y, 0, 0, 32, 32, 8)) continue;
          const notch = (x - 8) ** 2 + (y - 16) ** 2 < 2.5 ** 2 || (x - 24) ** 2 + (y - 16) ** 2 < 2.5 ** 2;
          if (inRounded(x, y, 8, 9, 24, 23, 1.5) && !notch) navy++;
          else gold++;
        }
      const n = samples * samples;
      const cover = gold + navy;
      const i = (py * size + px) * 4;
      for (let k = 0; k < 3; k++)
        rgba[i + k] = cover ? Math.round((GOLD[k]! * gold + NAVY[k]! * navy) / cover) : 0;
      rgba[i + 3] = Math.round((cover / n) * 255);
    }
  return png(size, size, rgba);
}

let cached: Record<string, Buffer> | undefined;

/** The images a pass shows: its icon (notifications, lock screen) and logo, at 1×, 2× and 3×. */
export function walletImages(): Record<string, Buffer> {
  cached ??= {
    'icon.png': mark(29),
    'icon@2x.png': mark(58),
    'icon@3x.png': mark(87),
    'logo.png': mark(50),
    'logo@2x.png': mark(100),
    'logo@3x.png': mark(150),
  };
  return cached;
}
