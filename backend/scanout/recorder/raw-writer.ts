// The raw recording: every frame's packed bytes appended to frames.raw, and one JSON line per frame in
// index.jsonl saying where it is ({sequence, time, offset, size, crc, width, height, format}). Writes go through
// async file handles (the libuv thread pool), so a slow disk never blocks the event loop.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fourccToString } from '../../../protocol/formats.js';
import type { FrameWriter, RecordedFrame } from './writer.js';

export class RawWriter implements FrameWriter {
  private offset = 0;
  private indexBytes = 0;

  private constructor(
    readonly path: string,
    private readonly frames: FileHandle,
    private readonly index: FileHandle,
  ) {}

  static async open(dir: string): Promise<RawWriter> {
    await mkdir(dir, { recursive: true });
    const frames = await open(join(dir, 'frames.raw'), 'w');
    try {
      return new RawWriter(dir, frames, await open(join(dir, 'index.jsonl'), 'w'));
    } catch (e) {
      await frames.close();
      throw e;
    }
  }

  async write(f: RecordedFrame): Promise<void> {
    const size = f.bytes.length;
    await this.frames.write(f.bytes, 0, size, this.offset);
    const entry = {
      sequence: f.sequence,
      time: Math.round(f.timeMs * 1000) / 1000,
      offset: this.offset,
      size,
      crc: f.crc,
      width: f.width,
      height: f.height,
      format: fourccToString(f.fourcc),
    };
    this.offset += size;
    const line = JSON.stringify(entry) + '\n';
    this.indexBytes += Buffer.byteLength(line);
    await this.index.write(line);
  }

  async close(): Promise<number> {
    await Promise.all([this.frames.close(), this.index.close()]);
    return this.offset + this.indexBytes;
  }
}
