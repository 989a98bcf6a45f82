/**
 * Draws the Teams app icons (a shield with an up arrow) and writes them as RGBA PNGs:
 * manifest/teams/color.png (192×192, full colour) and manifest/teams/outline.png (32×32, white on
 * transparent), the sizes Teams requires. Run once after changing the drawing; the PNGs are committed.
 *
 *   npm run build && node dist/scripts/make-teams-icons.js [output folder, default manifest/teams]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { findTeamsManifestDir } from './package-teams.js';

/** Teams app package icon sizes (Teams docs, "App icons"). */
export const COLOR_SIZE = 192;
export const OUTLINE_SIZE = 32;
/** Samples per pixel side for anti-aliasing. */
const SUPERSAMPLE = 4;

type Rgb = readonly [number, number, number];
const NAVY: Rgb = [0x1d, 0x35, 0x57]; // the manifest's accentColor
const WHITE: Rgb = [0xff, 0xff, 0xff];
const RED: Rgb = [0xe6, 0x39, 0x46];

/** Shield in local coordinates (u, v ∈ [-1, 1], v down): flat top, straight sides, parabolic point. */
function inShield(u: number, v: number, inset = 0): boolean {
  const top = -0.9 + inset;
  const shoulder = 0.05;
  if (v < top) return false;
  const t = Math.max(0, (v - shoulder) / 0.9);
  if (t >= 1) return false;
  return Math.abs(u) <= 0.8 * (1 - t * t) - inset;
}

/** Up arrow in the same coordinates: triangular head over a shaft. */
function inArrow(u: number, v: number, scale = 1): boolean {
  const [x, y] = [u / scale, v / scale];
  if (y >= -0.6 && y <= -0.05) return Math.abs(x) <= (0.5 * (y + 0.6)) / 0.55;
  return y > -0.05 && y <= 0.55 && Math.abs(x) <= 0.17;
}

/** Renders `size`×`size` RGBA pixels by averaging SUPERSAMPLE² samples of `shade(u, v)` (u, v ∈ [-1, 1]). */
function render(size: number, shade: (u: number, v: number) => readonly [number, number, number, number]): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const u = ((x + (sx + 0.5) / SUPERSAMPLE) / size) * 2 - 1;
          const v = ((y + (sy + 0.5) / SUPERSAMPLE) / size) * 2 - 1;
          const [r, g, b, a] = shade(u, v);
          sum[0]! += r * a;
          sum[1]! += g * a;
          sum[2]! += b * a;
          sum[3]! += a;
        }
      }
      const alpha = sum[3]! / (SUPERSAMPLE * SUPERSAMPLE);
      const at = (y * size + x) * 4;
      for (let c = 0; c < 3; c++) pixels[at + c] = alpha === 0 ? 255 : Math.round(sum[c]! / sum[3]!);
      pixels[at + 3] = Math.round(alpha * 255);
    }
  }
  return pixels;
}

/** The colour icon: navy square, white shield inside Teams' ~120 px safe area, red arrow. */
export function renderColorIcon(): Uint8Array {
  const shieldScale = 0.62; // 120/192: Teams keeps the symbol inside a 120×120 safe area
  return render(COLOR_SIZE, (u, v) => {
    const [su, sv] = [u / shieldScale, v / shieldScale];
    if (inArrow(su, sv, 0.9)) return [...RED, 1];
    if (inShield(su, sv)) return [...WHITE, 1];
    return [...NAVY, 1];
  });
}

/** The outline icon: a white shield border and arrow on transparent (every pixel's colour is white). */
export function renderOutlineIcon(): Uint8Array {
  const shieldScale = 0.94; // about 1 px of margin at 32 px
  const stroke = 0.16; // about 2.4 px at this scale
  return render(OUTLINE_SIZE, (u, v) => {
    const [su, sv] = [u / shieldScale, v / shieldScale];
    const border = inShield(su, sv) && !inShield(su, sv, stroke);
    return [...WHITE, border || inArrow(su, sv, 0.62) ? 1 : 0];
  });
}

function chunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** Encodes 8-bit RGBA pixels (row-major) as a PNG: colour type 6, no interlace, filter 0 on every row. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) throw new Error(`expected ${width * height * 4} bytes of RGBA, got ${rgba.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, RGBA, deflate, adaptive filtering, no interlace
  const rows = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) {
    rows[y * (1 + width * 4)] = 0; // filter: none
    rows.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (1 + width * 4) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Writes color.png and outline.png into `dir` (default manifest/teams) and returns their paths. */
export async function writeTeamsIcons(dir = findTeamsManifestDir()): Promise<string[]> {
  const files = [
    { path: join(dir, 'color.png'), png: encodePng(COLOR_SIZE, COLOR_SIZE, renderColorIcon()) },
    { path: join(dir, 'outline.png'), png: encodePng(OUTLINE_SIZE, OUTLINE_SIZE, renderOutlineIcon()) },
  ];
  await mkdir(dir, { recursive: true });
  for (const file of files) await writeFile(file.path, file.png);
  return files.map((f) => f.path);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const path of await writeTeamsIcons(process.argv[2])) console.log(`wrote ${path}`);
}
