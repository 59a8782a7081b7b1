// One connector's display pipeline: what it is configured to show, the flips waiting for a vblank, and the scanout
// that latches a flip, computes the frame's CRC and reports frame done. Paced mode latches one flip per vblank at
// the connector's refresh rate; unpaced mode latches each flip at once.
import { EventEmitter } from 'node:events';
import { frameCrc } from '../../shared/pixels/crc.js';
import type { FrameView } from '../../shared/pixels/frame.js';
import { VblankClock } from '../scanout/vblank.js';
import type { Fb, Viewport } from './framebuffer.js';

export interface ConnectorSpec {
  width: number;
  height: number;
  refreshHz: number;
  uniqueId: string;
}

export interface ScannedFrame {
  connector: number;
  /** Frames scanned out on this connector, counting from 1. */
  sequence: number;
  crc: number | undefined;
  view: FrameView;
  fb: Fb;
}

export interface PipelineOptions {
  paced: boolean;
  crc: boolean;
}

export interface PipelineEvents {
  frame: [ScannedFrame];
}

export class Pipeline extends EventEmitter<PipelineEvents> {
  private shown: { fb: Fb; vp: Viewport } | null = null;
  private readonly queue: Fb[] = [];
  private readonly clock: VblankClock;
  sequence = 0;
  copiedBytes = 0;

  constructor(
    readonly index: number,
    readonly spec: ConnectorSpec,
    private readonly options: PipelineOptions,
    private readonly frameDone: (fb: Fb) => void,
  ) {
    super();
    this.clock = new VblankClock(spec.refreshHz);
  }

  get configured(): boolean {
    return this.shown !== null;
  }

  get current(): { fb: Fb; vp: Viewport } | null {
    return this.shown;
  }

  configure(fb: Fb, vp: Viewport): void {
    this.shown = { fb, vp };
  }

  /** SET_CONFIG reset: nothing is shown; waiting flips are answered so that no frontend waits forever. */
  reset(): void {
    this.shown = null;
    this.flushQueue();
  }

  flip(fb: Fb): void {
    this.queue.push(fb);
    // Unpaced: latch right after the PG_FLIP response is out, so the event never overtakes it.
    if (this.options.paced) this.clock.schedule(() => this.vblank());
    else queueMicrotask(() => this.vblank());
  }

  /** An fb is going away: stop showing it and answer its waiting flips. */
  forget(fb: Fb): void {
    if (this.shown?.fb === fb) this.shown = null;
    const waiting = this.queue.filter((f) => f === fb);
    this.queue.splice(0, this.queue.length, ...this.queue.filter((f) => f !== fb));
    for (const f of waiting) this.frameDone(f);
  }

  close(): void {
    this.clock.stop();
    this.queue.length = 0;
  }

  private flushQueue(): void {
    for (const fb of this.queue.splice(0)) this.frameDone(fb);
  }

  private vblank(): void {
    const fb = this.queue.shift();
    if (!fb) return;
    if (this.shown) {
      this.shown = { fb, vp: this.shown.vp };
      this.scanout(fb, this.shown.vp);
    }
    this.frameDone(fb);
    if (this.queue.length > 0) this.clock.schedule(() => this.vblank());
  }

  private scanout(fb: Fb, vp: Viewport): void {
    this.copiedBytes += fb.dbuf.refresh();
    const view = fb.view(vp);
    this.sequence++;
    const crc = this.options.crc ? frameCrc(view) : undefined;
    if (this.listenerCount('frame') > 0) this.emit('frame', { connector: this.index, sequence: this.sequence, crc, view, fb });
  }
}
