// One connector's display pipeline: what it is configured to show, the flips waiting for a vblank, and the scanout
// that latches a flip, reports frame done and computes the frame's CRC. Paced mode latches one flip per vblank at
// the connector's refresh rate; unpaced mode latches each flip at once. While a consumer holds the pipeline (CRC
// capture, recorder), a paced connector scans out at every vblank, flip or not, as a real CRTC does, so that the
// consumer sees one frame per vblank with consecutive sequence numbers; without one, only flips cost anything.
//
// The CRC is off the critical path, as a hardware CRC is: frame done leaves at the vblank, and the CRC of the frame
// shown there is computed on the thread pool meanwhile, over the buffer in place. That buffer is stable until the
// NEXT flip's frame done hands it back to the client, so the next scanout (the latch that sends that frame done)
// waits for the CRC in flight: scanouts never overlap, and the 'frame' of each one (CRC included) is emitted in
// order, before the buffer can be reused.
import { EventEmitter } from 'node:events';
import { asErrno, pvError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import { frameCrcAsync } from '../../shared/pixels/crc.js';
import type { FrameView } from '../../shared/pixels/frame.js';
import { RateMeter } from '../scanout/rate.js';
import { VblankClock } from '../scanout/vblank.js';
import type { VblankGrid } from '../../protocol/bus/vblank-grid-keys.js';
import type { Fb, Viewport } from './framebuffer.js';
import { LIMITS } from '../limits.js';

const log = logger('pipeline');

/** How long after a paced frame done its CRC starts (a period is 4 ms at the fastest, 240 Hz). */
const PACED_CRC_DELAY_MS = 1;

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
  /** The pipeline was torn down (its frontend went away): holders should let go. */
  closed: [];
}

/** What a consumer of every frame needs: `crc` makes every scanout compute the CRC even with --no-crc. */
export interface HoldOptions {
  crc: boolean;
}

export class Pipeline extends EventEmitter<PipelineEvents> {
  private shown: { fb: Fb; vp: Viewport } | null = null;
  private readonly queue: Fb[] = [];
  private clock: VblankClock;
  private readonly flipRate = new RateMeter();
  private holds = 0;
  private crcHolds = 0;
  /** Frames scanned out, counting from 1. */
  sequence = 0;
  /** Flips latched (shown or not). */
  flips = 0;
  copiedBytes = 0;
  /** A disconnected connector keeps answering its frontend but scans nothing out. */
  connected = true;
  /** A scanout's CRC is being computed: the next scanout waits for it. */
  private crcInFlight = false;
  /** Settles once the CRC in flight (if any) is in and its frame emitted. */
  private crcDone: Promise<void> = Promise.resolve();
  /** A vblank came while the CRC was in flight: it runs once the CRC is in. */
  private vblankWaiting = false;
  private closed = false;

  constructor(
    readonly index: number,
    public spec: ConnectorSpec,
    private readonly options: PipelineOptions,
    private readonly frameDone: (fb: Fb) => void,
    /** The instant the vblank grid is anchored at (the peer publishes it); now when not given. */
    private readonly gridAnchorNs: bigint = process.hrtime.bigint(),
  ) {
    super();
    this.clock = new VblankClock(spec.refreshHz, gridAnchorNs);
  }

  /** Where this connector's vblanks fall; undefined when unpaced (frame done comes at once). */
  get vblankGrid(): VblankGrid | undefined {
    return this.options.paced ? this.clock.grid : undefined;
  }

  /** A hotplug changed the connector's mode: later SET_CONFIGs are checked against it, vblanks follow its rate. */
  reconfigure(spec: ConnectorSpec): void {
    if (spec.refreshHz !== this.spec.refreshHz) {
      this.clock.stop();
      this.clock = new VblankClock(spec.refreshHz, this.gridAnchorNs);
    }
    this.spec = spec;
  }

  get configured(): boolean {
    return this.shown !== null;
  }

  get current(): { fb: Fb; vp: Viewport } | null {
    return this.shown;
  }

  /** Flips latched per second, over the last whole second. */
  get fps(): number {
    return this.flipRate.rate();
  }

  configure(fb: Fb, vp: Viewport): void {
    this.shown = { fb, vp };
    this.keepTicking();
  }

  /** A consumer that needs every frame from now on; returns its release (idempotent). */
  hold(options: HoldOptions): () => void {
    this.holds++;
    if (options.crc) this.crcHolds++;
    this.keepTicking();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.holds--;
      if (options.crc) this.crcHolds--;
    };
  }

  /** Resolves once every frame scanned out so far has been emitted with its CRC (at most one is in flight). */
  crcSettled(): Promise<void> {
    return this.crcDone;
  }

  /** The shown frame as it is now, for sinks that sample on their own clock (viewer, snapshot). */
  sample(): FrameView | null {
    if (!this.shown || !this.connected) return null;
    this.copiedBytes += this.shown.fb.dbuf.refresh();
    return this.shown.fb.view(this.shown.vp);
  }

  /** What connector `index` shows now; ENODEV when nothing (or disconnected). */
  sampleOrFail(): FrameView {
    const view = this.sample();
    if (!view) throw pvError('ENODEV', `connector ${this.index} ${this.connected ? 'shows nothing' : 'is disconnected'}`);
    return view;
  }

  /** SET_CONFIG reset: nothing is shown; waiting flips are answered so that no frontend waits forever. */
  reset(): void {
    this.shown = null;
    this.flushQueue();
  }

  /** EBUSY when the connector already has as many flips waiting as it queues. */
  flip(fb: Fb): void {
    if (this.queue.length >= LIMITS.queuedFlips) throw pvError('EBUSY', `connector ${this.index} has ${this.queue.length} flips waiting`);
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
    this.closed = true;
    this.clock.stop();
    this.queue.length = 0;
    this.shown = null;
    this.emit('closed');
  }

  private flushQueue(): void {
    for (const fb of this.queue.splice(0)) this.frameDone(fb);
  }

  /** Paced and held: every vblank scans out while something is shown. */
  private get continuous(): boolean {
    return this.options.paced && this.holds > 0 && this.shown !== null;
  }

  private keepTicking(): void {
    if (this.continuous) this.clock.schedule(() => this.vblank());
  }

  private vblank(): void {
    if (this.crcInFlight) {
      this.vblankWaiting = true;
      return;
    }
    const fb = this.queue.shift();
    if (fb) {
      this.flips++;
      this.flipRate.tick();
      if (this.shown) this.shown = { fb, vp: this.shown.vp };
    }
    if (this.shown && this.connected && (fb || this.continuous)) this.scanout(this.shown.fb, this.shown.vp);
    if (fb) this.frameDone(fb);
    if (this.queue.length > 0) this.clock.schedule(() => this.vblank());
    else this.keepTicking();
  }

  private scanout(fb: Fb, vp: Viewport): void {
    this.copiedBytes += fb.dbuf.refresh();
    const view = fb.view(vp);
    const frame: ScannedFrame = { connector: this.index, sequence: ++this.sequence, crc: undefined, view, fb };
    if (!this.options.crc && this.crcHolds === 0) {
      if (this.listenerCount('frame') > 0) this.emit('frame', frame);
      return;
    }
    this.crcInFlight = true;
    const unpin = fb.dbuf.pin();
    // Paced, the shown buffer is stable for a whole period: the CRC starts a moment later and on one thread, so that
    // the frontend and its client (on as few as two cores) handle the frame done first and keep a core. Unpaced, the
    // next flip waits for it: at once, a big frame on two threads.
    const paced = this.options.paced;
    const start = paced ? new Promise<void>((r) => setTimeout(r, PACED_CRC_DELAY_MS)) : Promise.resolve();
    this.crcDone = start
      .then(() => frameCrcAsync(view, paced ? 1 : 2))
      .catch((e: unknown) => {
        // Validation let the view through, so only a bug lands here: the frame goes out without its CRC.
        log.warn(`connector ${this.index}: CRC of frame ${frame.sequence} failed: ${asErrno(e).message}`);
        return undefined;
      })
      .then((crc) => {
        unpin();
        this.crcInFlight = false;
        if (this.closed) return;
        frame.crc = crc;
        this.emit('frame', frame);
        if (this.vblankWaiting) {
          this.vblankWaiting = false;
          this.vblank();
        }
      });
  }
}
