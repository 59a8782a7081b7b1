// Damage detection for the viewer: a packed copy of what viewers were last given for one screen, cut into 64x64
// tiles, each with a version that goes up when its pixels change. A static screen costs one memory compare per
// tile band (the band is contiguous when the area spans whole rows); only rows that differ are looked at per tile,
// and only tiles that differ are copied, so a tile's version always covers what the copy holds.
import type { PixelFormat } from '../../../protocol/formats.js';
import { packVisible } from '../../../shared/pixels/pack.js';
import { rowStart, validateFrameView, type FrameView } from '../../../shared/pixels/frame.js';
import { toRgba } from '../../../shared/pixels/rgba.js';

/** Tile side in pixels: even, so YUYV macropixels never straddle tiles. */
export const TILE = 64;

export interface TileRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class DamageTracker {
  readonly width: number;
  readonly height: number;
  readonly fourcc: number;
  readonly cols: number;
  readonly rows: number;
  /** Per tile, row-major: bumped whenever the tile's pixels change. */
  readonly versions: Uint32Array;
  private readonly format: PixelFormat;
  private readonly rowBytes: number;
  private readonly copy: Buffer;
  private readonly dirty: Uint8Array;

  /** Starts from the whole of `view`: every tile at version 1. */
  constructor(view: FrameView) {
    this.format = validateFrameView(view);
    this.width = view.width;
    this.height = view.height;
    this.fourcc = view.fourcc;
    this.rowBytes = view.width * this.format.cpp;
    this.cols = Math.ceil(view.width / TILE);
    this.rows = Math.ceil(view.height / TILE);
    this.versions = new Uint32Array(this.cols * this.rows).fill(1);
    this.dirty = new Uint8Array(this.cols);
    this.copy = Buffer.alloc(this.rowBytes * view.height);
    packVisible(view, this.copy);
  }

  /** Same size and format: update() applies; otherwise start a new tracker. */
  fits(view: FrameView): boolean {
    return view.width === this.width && view.height === this.height && view.fourcc === this.fourcc;
  }

  /** Brings the copy up to date with `view` (which fits); returns how many tiles changed. */
  update(view: FrameView): number {
    validateFrameView(view);
    const src = Buffer.from(view.data.buffer, view.data.byteOffset, view.data.byteLength);
    const first = rowStart(view, this.format, 0);
    const { rowBytes, copy, dirty } = this;
    const tileBytes = TILE * this.format.cpp;
    const contiguous = view.pitch === rowBytes;
    let changed = 0;
    for (let band = 0; band < this.rows; band++) {
      const y0 = band * TILE;
      const y1 = Math.min(this.height, y0 + TILE);
      if (contiguous) {
        const s = first + y0 * rowBytes;
        if (src.compare(copy, y0 * rowBytes, y1 * rowBytes, s, s + (y1 - y0) * rowBytes) === 0) continue;
      }
      dirty.fill(0);
      for (let y = y0; y < y1; y++) {
        const s = first + y * view.pitch;
        const c = y * rowBytes;
        if (src.compare(copy, c, c + rowBytes, s, s + rowBytes) === 0) continue;
        for (let col = 0, x = 0; col < this.cols; col++, x += tileBytes) {
          const end = Math.min(rowBytes, x + tileBytes);
          if (!dirty[col] && src.compare(copy, c + x, c + end, s + x, s + end) === 0) continue;
          dirty[col] = 1;
          src.copy(copy, c + x, s + x, s + end);
        }
      }
      for (let col = 0; col < this.cols; col++) {
        if (!dirty[col]) continue;
        this.versions[band * this.cols + col]!++;
        changed++;
      }
    }
    return changed;
  }

  rect(tile: number): TileRect {
    const x = (tile % this.cols) * TILE;
    const y = Math.floor(tile / this.cols) * TILE;
    return { x, y, width: Math.min(TILE, this.width - x), height: Math.min(TILE, this.height - y) };
  }

  /** The tile as the copy holds it, as RGBA8 for a canvas. */
  rgba(tile: number): Uint8Array {
    const r = this.rect(tile);
    return toRgba({ data: this.copy, offset: 0, pitch: this.rowBytes, width: r.width, height: r.height, x: r.x, y: r.y, fourcc: this.fourcc });
  }
}

/** `tracker` brought up to date with `view`, or a new tracker when `view` does not fit it; and how many tiles changed. */
export function track(tracker: DamageTracker | undefined, view: FrameView): { tracker: DamageTracker; changed: number } {
  if (tracker?.fits(view)) return { tracker, changed: tracker.update(view) };
  const fresh = new DamageTracker(view);
  return { tracker: fresh, changed: fresh.versions.length };
}
