// Owns PNG snapshots of a visible area: encoding (RGBA when the format has alpha, RGB otherwise), writing
// them atomically so a reader never sees half a file, and decoding them back for tests.
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import { pvError } from '../errors.js';
import { validateFrameView, type FrameView } from './frame.js';
import { toRgba } from './rgba.js';

export interface DecodedPng {
  width: number;
  height: number;
  /** width*height*4 bytes of RGBA8. */
  rgba: Uint8Array;
}

/** PNG of the visible area: colour type 6 (RGBA) for formats with alpha, 2 (RGB) otherwise. */
export function encodePng(view: FrameView): Buffer {
  const format = validateFrameView(view);
  const rgba = toRgba(view);
  // Built empty and filled in, so pngjs does not allocate a second pixel buffer of its own.
  const png = new PNG();
  png.width = view.width;
  png.height = view.height;
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png, { colorType: format.hasAlpha ? 6 : 2 });
}

/** Writes encodePng(view) to `path` through a temporary file and a rename, so `path` is always whole. */
export async function writePng(path: string, view: FrameView): Promise<void> {
  const png = encodePng(view);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, png);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    // Name the file the caller asked for, not the temporary one.
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') throw pvError('ENOENT', `cannot write ${path}: directory ${dirname(path)} does not exist`);
    throw pvError(code, `cannot write ${path}: ${code}`);
  }
}

/** Decodes any PNG to RGBA8 (pngjs widens grey, palette and RGB to RGBA). */
export function decodePng(buffer: Buffer): DecodedPng {
  const png = PNG.sync.read(buffer);
  return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}
