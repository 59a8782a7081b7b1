// The viewer's messages to a browser. Binary (one per screen update): a 12-byte header — u8 kind 1, u8 0,
// u16 screen id, u16 width, u16 height, u32 tile count — then per tile u16 x, u16 y, u16 width, u16 height and
// width*height*4 bytes of RGBA8; all little endian. Text: JSON `{"type": "status", ...}` once a second and when the
// screens change, `{"type": "error", "error": {code, errno, message}}` for a message the viewer cannot take.
import type { TileRect } from './damage.js';

export const FRAME_KIND = 1;
export const FRAME_HEADER_BYTES = 12;
export const TILE_HEADER_BYTES = 8;

export interface EncodedTile extends TileRect {
  rgba: Uint8Array;
}

export function encodeFrame(screenId: number, width: number, height: number, tiles: readonly EncodedTile[]): Buffer {
  const size = tiles.reduce((n, t) => n + TILE_HEADER_BYTES + t.rgba.length, FRAME_HEADER_BYTES);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt8(FRAME_KIND, 0);
  out.writeUInt8(0, 1);
  out.writeUInt16LE(screenId, 2);
  out.writeUInt16LE(width, 4);
  out.writeUInt16LE(height, 6);
  out.writeUInt32LE(tiles.length, 8);
  let off = FRAME_HEADER_BYTES;
  for (const t of tiles) {
    out.writeUInt16LE(t.x, off);
    out.writeUInt16LE(t.y, off + 2);
    out.writeUInt16LE(t.width, off + 4);
    out.writeUInt16LE(t.height, off + 6);
    out.set(t.rgba, off + TILE_HEADER_BYTES);
    off += TILE_HEADER_BYTES + t.rgba.length;
  }
  return out;
}
