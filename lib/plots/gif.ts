// Animated GIF from rendered PNG frames: a PNG decoder (8-bit RGB/RGBA, the PNGs Chromium writes), one 256-colour
// palette shared by all frames (the most frequent colours, others mapped to the nearest), and a GIF89a LZW encoder.
import { inflateSync } from 'node:zlib';

/** An image as 8-bit RGBA pixels, row by row. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Decode an 8-bit, non-interlaced RGB, RGBA, grey or grey+alpha PNG to RGBA pixels. */
export function decodePng(png: Uint8Array): RgbaImage {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  for (let i = 0; i < 8; i++) if (png[i] !== sig[i]) throw new Error('decodePng: not a PNG (bad signature)');
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0, height = 0, depth = 0, color = 0, interlace = 0;
  const idat: Uint8Array[] = [];
  for (let off = 8; off + 8 <= png.length;) {
    const len = dv.getUint32(off);
    const type = String.fromCharCode(png[off + 4], png[off + 5], png[off + 6], png[off + 7]);
    const body = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(off + 8);
      height = dv.getUint32(off + 12);
      depth = body[8];
      color = body[9];
      interlace = body[12];
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[color];
  if (depth !== 8 || !channels || interlace) throw new Error(`decodePng: only 8-bit non-interlaced grey/RGB/RGBA PNGs are supported (bit depth ${depth}, colour type ${color}, interlace ${interlace})`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error(`decodePng: image data holds ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const o = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[o + x - channels] : 0;
      const b = y > 0 ? px[o - stride + x] : 0;
      const c = x >= channels && y > 0 ? px[o - stride + x - channels] : 0;
      let v = src[x];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (f !== 0) throw new Error(`decodePng: row ${y} has unknown filter ${f}`);
      px[o + x] = v & 255;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    if (channels >= 3) {
      rgba[i * 4] = px[s]; rgba[i * 4 + 1] = px[s + 1]; rgba[i * 4 + 2] = px[s + 2];
      rgba[i * 4 + 3] = channels === 4 ? px[s + 3] : 255;
    } else {
      rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = px[s];
      rgba[i * 4 + 3] = channels === 2 ? px[s + 1] : 255;
    }
  }
  return { width, height, rgba };
}

/** The colour of a pixel blended over white, packed as 0xRRGGBB. */
function opaque(rgba: Uint8Array, i: number): number {
  const a = rgba[i + 3] / 255;
  const ch = (v: number) => Math.round(v * a + 255 * (1 - a));
  return (ch(rgba[i]) << 16) | (ch(rgba[i + 1]) << 8) | ch(rgba[i + 2]);
}

/** A palette of at most 256 colours shared by all frames: the most frequent colours (exact when there are ≤ 256). */
export function sharedPalette(frames: readonly RgbaImage[]): number[] {
  const counts = new Map<number, number>();
  for (const f of frames) for (let i = 0; i < f.rgba.length; i += 4) {
    const c = opaque(f.rgba, i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 256).map(([c]) => c);
}

function indexer(palette: readonly number[]): (c: number) => number {
  const exact = new Map<number, number>(palette.map((c, i) => [c, i]));
  return (c) => {
    let k = exact.get(c);
    if (k !== undefined) return k;
    const r = c >> 16, g = (c >> 8) & 255, b = c & 255;
    let best = 0, bd = Infinity;
    for (let i = 0; i < palette.length; i++) {
      const p = palette[i];
      const d = (r - (p >> 16)) ** 2 + (g - ((p >> 8) & 255)) ** 2 + (b - (p & 255)) ** 2;
      if (d < bd) { bd = d; best = i; }
    }
    exact.set(c, best);
    k = best;
    return k;
  };
}

/** GIF LZW compression of palette indices (minimum code size 8), as data sub-blocks. */
function lzw(indices: Uint8Array): number[] {
  const minCode = 8, clear = 1 << minCode, eoi = clear + 1;
  const out: number[] = [];
  let cur = 0, bits = 0, size = minCode + 1;
  const emit = (code: number) => {
    cur |= code << bits;
    bits += size;
    while (bits >= 8) { out.push(cur & 255); cur >>>= 8; bits -= 8; }
  };
  let dict = new Map<number, number>();
  let next = eoi + 1;
  emit(clear);
  let prefix = indices[0];
  for (let i = 1; i < indices.length; i++) {
    const k = indices[i];
    const key = prefix * 256 + k;
    const code = dict.get(key);
    if (code !== undefined) { prefix = code; continue; }
    emit(prefix);
    if (next < 4096) {
      dict.set(key, next++);
      if (next > (1 << size) && size < 12) size++;
    } else {
      emit(clear);
      dict = new Map();
      next = eoi + 1;
      size = minCode + 1;
    }
    prefix = k;
  }
  emit(prefix);
  emit(eoi);
  if (bits > 0) out.push(cur & 255);
  const blocks: number[] = [];
  for (let i = 0; i < out.length; i += 255) {
    const chunk = out.slice(i, i + 255);
    blocks.push(chunk.length, ...chunk);
  }
  blocks.push(0);
  return blocks;
}

/** Options of the GIF encoder. */
export interface GifOptions {
  /** Milliseconds each frame is shown (default 800; GIF stores hundredths of a second). */
  delayMs?: number;
  /** Loop forever (default true). */
  loop?: boolean;
}

/** Encode equally sized RGBA frames as an animated GIF89a (one shared palette; transparent pixels over white). */
export function encodeGif(frames: readonly RgbaImage[], opts: GifOptions = {}): Uint8Array {
  if (!frames.length) throw new Error('encodeGif: no frames');
  const { width, height } = frames[0];
  for (const [i, f] of frames.entries()) {
    if (f.width !== width || f.height !== height) throw new Error(`encodeGif: frame ${i} is ${f.width}×${f.height}, frame 0 is ${width}×${height}`);
    if (f.rgba.length !== width * height * 4) throw new Error(`encodeGif: frame ${i} has ${f.rgba.length} bytes, expected ${width * height * 4}`);
  }
  if (width > 65535 || height > 65535) throw new Error(`encodeGif: ${width}×${height} is larger than GIF allows`);
  const palette = sharedPalette(frames);
  const index = indexer(palette);
  const bytes: number[] = [];
  const u16 = (v: number) => bytes.push(v & 255, (v >> 8) & 255);
  bytes.push(...Buffer.from('GIF89a', 'ascii'));
  u16(width);
  u16(height);
  bytes.push(0xf7, 0, 0); // global colour table of 256 entries
  for (let i = 0; i < 256; i++) {
    const c = palette[i] ?? 0;
    bytes.push(c >> 16, (c >> 8) & 255, c & 255);
  }
  if (opts.loop ?? true) bytes.push(0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0', 'ascii'), 0x03, 0x01, 0, 0, 0);
  const delay = Math.max(1, Math.round((opts.delayMs ?? 800) / 10));
  const chunks: Uint8Array[] = [Uint8Array.from(bytes)];
  for (const f of frames) {
    const head: number[] = [0x21, 0xf9, 0x04, 0x00, delay & 255, (delay >> 8) & 255, 0, 0];
    head.push(0x2c, 0, 0, 0, 0, width & 255, width >> 8, height & 255, height >> 8, 0);
    head.push(8);
    const idx = new Uint8Array(width * height);
    for (let i = 0; i < idx.length; i++) idx[i] = index(opaque(f.rgba, i * 4));
    chunks.push(Uint8Array.from(head), Uint8Array.from(lzw(idx)));
  }
  chunks.push(Uint8Array.of(0x3b));
  return new Uint8Array(Buffer.concat(chunks));
}
