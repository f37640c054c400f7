import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../lib/plots/export';

/** A headless Chromium page for inspecting exported files in tests, with every non-file request recorded. */
export interface TestBrowser {
  page: Page;
  /** URLs requested that were not file:// or data: (must stay empty: exports work offline). */
  remoteRequests: string[];
  close(): Promise<void>;
}

/** Launch Debian's Chromium through playwright-core, the same way the exporter does. */
export async function launchTestBrowser(): Promise<TestBrowser> {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'syco-test-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(dir, { executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  const page = context.pages()[0] ?? (await context.newPage());
  const remoteRequests: string[] = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('file:') && !u.startsWith('data:') && !u.startsWith('about:')) remoteRequests.push(u);
  });
  return {
    page,
    remoteRequests,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (PNG/zlib polynomial) of bytes. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Parse a PNG's chunk list (checking signature and every CRC); returns IHDR width/height and the chunk types. */
export function parsePng(buf: Uint8Array): { width: number; height: number; bitDepth: number; colorType: number; chunks: string[] } {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  for (let i = 0; i < 8; i++) if (buf[i] !== sig[i]) throw new Error('not a PNG: bad signature');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const chunks: string[] = [];
  let off = 8;
  let ihdr: { width: number; height: number; bitDepth: number; colorType: number } | null = null;
  while (off < buf.length) {
    const len = dv.getUint32(off);
    const type = String.fromCharCode(...buf.subarray(off + 4, off + 8));
    const body = buf.subarray(off + 8, off + 8 + len);
    const crc = dv.getUint32(off + 8 + len);
    if (crc32(buf.subarray(off + 4, off + 8 + len)) !== crc) throw new Error(`PNG chunk ${type} has a bad CRC`);
    if (type === 'IHDR') {
      const d = new DataView(body.buffer, body.byteOffset, body.byteLength);
      ihdr = { width: d.getUint32(0), height: d.getUint32(4), bitDepth: body[8], colorType: body[9] };
    }
    chunks.push(type);
    off += 12 + len;
  }
  if (!ihdr || chunks[0] !== 'IHDR') throw new Error('PNG has no leading IHDR chunk');
  return { ...ihdr, chunks };
}

/** The few DOM members tests read inside page.evaluate (the project compiles without DOM types). */
export interface MiniElement {
  tagName: string;
  namespaceURI: string | null;
  textContent: string | null;
  getAttribute(name: string): string | null;
}

/** The document as seen inside page.evaluate callbacks; declare it module-locally with `declare const document`. */
export interface MiniDocument {
  documentElement: MiniElement;
  querySelector(selector: string): MiniElement | null;
  querySelectorAll(selector: string): { length: number };
  getElementsByTagName(name: string): { length: number };
}
