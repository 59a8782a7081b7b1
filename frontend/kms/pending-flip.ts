// A CRTC's pending flip: the one record a commit puts on each of its CRTCs until its update is on screen or given
// up. It holds what the commit owes: the FLIP_COMPLETE event, the out-fence, and, once a PG_FLIP went out, the
// framebuffer in flight and the frame-done timer. Every way a commit ends goes through complete() (frame done, the
// timer, a PG_FLIP failure, an update that needed no flip or was dropped, unplug) or abort() (the commit failed and
// reports it); nothing else sends a CRTC's FLIP_COMPLETE.
import { EVENT_TYPE } from '../../protocol/kms/constants.js';
import type { Fence } from '../../shared/fence.js';
import type { Crtc } from './crtc.js';
import type { KmsDevice } from './device.js';
import type { DrmFile } from './file.js';
import type { Framebuffer } from './framebuffer.js';

/** Who gets the FLIP_COMPLETE event, with what user data (the room for it is already reserved). */
export interface FlipEvent {
  file: DrmFile;
  userData: bigint;
}

export class PendingFlip {
  /** The framebuffer the PG_FLIP in flight will show; null until one goes out (fence waits, modesets). */
  target: Framebuffer | null = null;
  /** Resolves once the record completed or was aborted (blocking commits wait on it). */
  readonly done: Promise<void>;
  private resolveDone: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly dev: KmsDevice,
    readonly crtc: Crtc,
    private readonly event: FlipEvent | undefined,
    readonly outFence: Fence | undefined,
  ) {
    this.done = new Promise<void>((r) => (this.resolveDone = r));
  }

  /** A PG_FLIP to `fb` went out: its frame done completes the record, or `onTimeout` after `timeoutMs`. */
  launch(fb: Framebuffer, timeoutMs: number, onTimeout: () => void): void {
    this.target = fb;
    this.timer = setTimeout(onTimeout, timeoutMs);
  }

  /** The update is on screen (or given up on): the event goes out with this vblank, the out-fence signals. */
  complete(sequence: number, timestampNs: bigint): void {
    if (!this.settle()) return;
    if (this.event) this.dev.sendVblankEvent(this.event.file, EVENT_TYPE.FLIP_COMPLETE, this.event.userData, this.crtc, sequence, timestampNs);
    if (this.target) this.crtc.scanout = this.target;
    this.outFence?.signal();
    this.dev.retireScanout();
  }

  /** The commit failed and says so: its event's room is given back, its out-fence signals. */
  abort(): void {
    if (!this.settle()) return;
    this.event?.file.unreserveEvent();
    this.outFence?.signal();
  }

  private settle(): boolean {
    if (this.finished) return false;
    this.finished = true;
    clearTimeout(this.timer);
    if (this.crtc.flip === this) this.crtc.flip = null;
    this.resolveDone();
    return true;
  }
}
