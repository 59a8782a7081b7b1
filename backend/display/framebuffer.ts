// A framebuffer attached to a dbuf: a size and a pixel format over the dbuf's bytes. displif carries no pitch, so
// rows are the dbuf's pitch apart (or width × cpp for a dbuf created without geometry, as PRIME imports are).
import type { PixelFormat } from '../../protocol/formats.js';
import type { FrameView } from '../../shared/pixels/frame.js';
import type { Dbuf } from './dbuf.js';

export interface Viewport {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class Fb {
  constructor(
    readonly cookie: bigint,
    readonly dbuf: Dbuf,
    readonly width: number,
    readonly height: number,
    readonly format: PixelFormat,
  ) {}

  get pitch(): number {
    return this.dbuf.pitch || this.width * this.format.cpp;
  }

  /** Bytes from the dbuf's start that the fb covers. */
  get extent(): number {
    return this.dbuf.dataOfs + (this.height - 1) * this.pitch + this.width * this.format.cpp;
  }

  /** The part of the fb a viewport shows, clipped to the fb. */
  view(vp: Viewport): FrameView {
    const x = Math.min(vp.x, this.width - 1);
    const y = Math.min(vp.y, this.height - 1);
    return {
      data: this.dbuf.bytes,
      offset: this.dbuf.dataOfs,
      pitch: this.pitch,
      width: Math.min(vp.width, this.width - x),
      height: Math.min(vp.height, this.height - y),
      x,
      y,
      fourcc: this.format.fourcc,
    };
  }
}
