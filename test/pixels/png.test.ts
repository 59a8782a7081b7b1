// Checks PNG encoding round trips exactly, picks RGB or RGBA by format, and writes files atomically.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatByFourcc } from '../../protocol/formats.js';
import { decodePng, encodePng, writePng } from '../../shared/pixels/png.js';
import { SAMPLES, sampleView } from './samples.js';

/** IHDR colour type: after the 8-byte signature, chunk length, 'IHDR', width, height and bit depth. */
const COLOUR_TYPE_AT = 25;

describe('PNG', () => {
  for (const sample of SAMPLES) {
    it(`round-trips ${sample.fourcc} to the exact RGBA`, () => {
      const view = sampleView(sample);
      const png = encodePng(view);
      expect(png[COLOUR_TYPE_AT]).toBe(formatByFourcc(view.fourcc)!.hasAlpha ? 6 : 2);
      const decoded = decodePng(png);
      expect(decoded.width).toBe(view.width);
      expect(decoded.height).toBe(2);
      expect(Array.from(decoded.rgba)).toEqual([...sample.rgba, ...sample.rgba]);
    });
  }

  describe('writePng', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'pvdisplay-png-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('writes the encoded image and leaves no temporary file', async () => {
      const view = sampleView(SAMPLES[3]!);
      const path = join(dir, 'shot.png');
      await writePng(path, view);
      await writePng(path, view); // replacing an existing file goes through the same rename
      expect(await readdir(dir)).toEqual(['shot.png']);
      expect((await readFile(path)).equals(encodePng(view))).toBe(true);
    });

    it('fails without leaving anything behind when the directory is missing', async () => {
      await expect(writePng(join(dir, 'missing', 'shot.png'), sampleView(SAMPLES[0]!))).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await readdir(dir)).toEqual(['shot.png']);
    });
  });
});
