// A client for damage tests and benchmarks: a static known image on a connector, with a 64x64 square moving over
// it by a few pixels per flip. Double buffered: each buffer gets the background back where its old square was,
// then the new square, so consecutive frames differ only around the square.
import { Card } from '../frontend/client/card.js';
import { findOutput, type Output } from '../frontend/client/output.js';
import type { BufferMapping } from '../frontend/client/mapping.js';
import { XRGB8888 } from '../protocol/formats.js';
import { drawKnownImage } from '../shared/pixels/pattern.js';

export const SPRITE = 64;

interface Buf {
  fb: number;
  map: BufferMapping;
  /** Where this buffer's square is drawn now. */
  at: { x: number; y: number } | undefined;
}

export class SpriteClient {
  private n = 0;

  private constructor(
    readonly card: Card,
    readonly out: Output,
    private readonly bufs: Buf[],
    private readonly background: Uint8Array,
    private readonly pitch: number,
  ) {}

  static async open(cardPath: string, seed: number): Promise<SpriteClient> {
    const card = Card.open(cardPath);
    const out = await findOutput(card, 0);
    const { hdisplay: w, vdisplay: h } = out.mode;
    const bufs: Buf[] = [];
    let pitch = 0;
    for (let i = 0; i < 2; i++) {
      const d = await card.createDumb(w, h, 32);
      pitch = d.pitch;
      const map = await card.mapDumb(d.handle);
      drawKnownImage({ data: map.bytes, pitch, width: w, height: h }, seed);
      bufs.push({ fb: await card.addFb2(w, h, XRGB8888.fourcc, d.handle, d.pitch), map, at: undefined });
    }
    await card.setCrtc(out.crtcId, bufs[0]!.fb, 0, 0, [out.connector.connector_id], out.mode);
    return new SpriteClient(card, out, bufs, bufs[0]!.map.bytes.slice(0, pitch * h), pitch);
  }

  /** Where the square is in frame `n`. */
  static position(n: number): { x: number; y: number } {
    return { x: 200 + n * 5, y: 150 + n * 3 };
  }

  /** Moves the square one step and flips; resolves once the flip completed. */
  async step(): Promise<void> {
    const n = ++this.n;
    const b = this.bufs[n % 2]!;
    if (b.at) this.restore(b, b.at);
    b.at = SpriteClient.position(n);
    const words = b.map.words;
    for (let row = b.at.y; row < b.at.y + SPRITE; row++) words.fill(0xffff8000, (row * this.pitch) / 4 + b.at.x, (row * this.pitch) / 4 + b.at.x + SPRITE);
    await this.card.pageFlip(this.out.crtcId, b.fb, BigInt(n));
    await this.card.nextEvent();
  }

  close(): void {
    this.card.close();
  }

  private restore(b: Buf, at: { x: number; y: number }): void {
    for (let row = at.y; row < at.y + SPRITE; row++) {
      const start = row * this.pitch + at.x * 4;
      b.map.bytes.set(this.background.subarray(start, start + SPRITE * 4), start);
    }
  }
}
