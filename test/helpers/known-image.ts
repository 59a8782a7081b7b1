// Checking pixels read back from a screen (PNG, canvas, viewer stream) against the client's known image.
import { knownImagePixel } from '../../shared/pixels/pattern.js';

/** Pixels of an RGBA8 rectangle whose top-left is (x0, y0) on screen that differ from knownImagePixel(seed). */
export function knownImageMismatches(rgba: Uint8Array, seed: number, x0: number, y0: number, width: number, height: number): number {
  let bad = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const px = knownImagePixel(seed, x0 + x, y0 + y);
      const i = (y * width + x) * 4;
      if (rgba[i] !== ((px >>> 16) & 0xff) || rgba[i + 1] !== ((px >>> 8) & 0xff) || rgba[i + 2] !== (px & 0xff) || rgba[i + 3] !== 255) bad++;
    }
  }
  return bad;
}
