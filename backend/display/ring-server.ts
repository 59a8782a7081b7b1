// The backend's end of one connector's channels: it consumes requests from the shared ring (copying each once),
// answers them through the Display, and produces frame-done events numbered 0, 1, 2, … on the event page. Fault
// injection hooks in here: a response can be replaced by an errno, a frame-done event dropped or held back, and
// the whole channel paused (a stalled backend neither answers nor sends events until resumed).
import { performance } from 'node:perf_hooks';
import { EVT_PG_FLIP, type ProtocolVersion } from '../../protocol/displif/constants.js';
import { encodeEvent } from '../../protocol/displif/event.js';
import { decodeRequest } from '../../protocol/displif/request.js';
import { encodeResponse, type Response } from '../../protocol/displif/response.js';
import { BackRing } from '../../protocol/ring/shared-ring.js';
import { EventProducer } from '../../protocol/ring/event-ring.js';
import type { EventChannel } from '../../shared/evtchn.js';
import { asErrno, type ErrnoLike } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import type { Display } from './display.js';
import { LIMITS } from '../limits.js';

const log = logger('ring');

/** What an armed fault does to a frame-done event. */
export type FrameDoneFault = { action: 'drop' } | { action: 'delay'; ms: number };

/** The fault injector's view of one ring; consulted per request and per frame-done event. */
export interface RingFaults {
  /** A positive errno to answer this opcode with instead of running it, or undefined. */
  errnoFor(operation: number): number | undefined;
  frameDone(): FrameDoneFault | undefined;
}

interface QueuedEvent {
  fbCookie: bigint;
  /** performance.now() before which the event must not be sent: a delayed event holds back the ones behind it. */
  notBefore: number;
}

export class RingServer {
  private readonly ring: BackRing;
  private readonly events: EventProducer;
  private nextEventId = 0;
  /** Frame-done events the page had no room for yet; a dropped one would cost Linux a 3100 ms timeout. */
  private readonly backlog: QueuedEvent[] = [];
  private retry: NodeJS.Timeout | undefined;
  private paused = false;
  /** Frame-done events dropped: by a fault, or past the backlog bound (a frontend that stopped consuming). */
  droppedEvents = 0;

  constructor(
    readonly connector: number,
    reqPage: Uint8Array,
    evtPage: Uint8Array,
    private readonly reqChannel: EventChannel,
    private readonly evtChannel: EventChannel,
    private readonly version: ProtocolVersion,
    private readonly display: Display,
    private readonly faults: RingFaults,
    /** A misbehaving frontend (ring overflow): the peer is disconnected with this error. */
    private readonly fatal: (err: ErrnoLike) => void,
  ) {
    this.ring = BackRing.attach(reqPage);
    this.events = EventProducer.attach(evtPage);
    // A channel the frontend broke (not an eventfd any more, blocking mode) disconnects that frontend only.
    reqChannel.onFailure(fatal);
    evtChannel.onFailure(fatal);
    reqChannel.listen(() => this.service());
  }

  /** libxenbe's loop: take every request, answer it, then re-arm req_event and look once more. */
  service(): void {
    if (this.paused) return;
    try {
      do {
        for (let pkt = this.ring.readRequest(); pkt; pkt = this.ring.readRequest()) {
          const req = decodeRequest(pkt, this.version);
          const errno = this.faults.errnoFor(req.operation);
          const rsp: Response =
            errno === undefined ? this.display.handle(this.connector, req) : { kind: 'generic', id: req.id, operation: req.operation, status: -errno };
          this.ring.writeResponse(encodeResponse(rsp, this.version));
          if (this.ring.pushResponses()) this.reqChannel.notify();
        }
      } while (this.ring.finalCheckForRequests());
    } catch (e) {
      const err = asErrno(e);
      log.warn(`connector ${this.connector}: ${err.message}`);
      this.fatal(err);
    }
  }

  frameDone(fbCookie: bigint): void {
    const fault = this.faults.frameDone();
    if (fault?.action === 'drop') {
      this.droppedEvents++;
      return; // never sent, so the next event keeps the id the frontend expects
    }
    if (this.backlog.length >= LIMITS.frameDoneBacklog) {
      // The frontend has not consumed its event page for this many flips: it is not waiting for these.
      this.droppedEvents++;
      log.debug(`connector ${this.connector}: frame-done backlog full, event dropped`);
      return;
    }
    this.backlog.push({ fbCookie, notBefore: fault ? performance.now() + fault.ms : 0 });
    this.flushEvents();
  }

  /** Stall: requests stay on the ring unanswered and events stay queued until resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.service();
    this.flushEvents();
  }

  /**
   * Sends queued events in order. The page refuses one while 63 are unconsumed (or, at the 2^32 index wrap, while
   * the next slot still holds one), and the frontend does not kick when it consumes, so retry on a short timer;
   * a delayed event at the head waits for its time.
   */
  private flushEvents(): void {
    if (this.paused) return;
    let sent = false;
    let wait = 1;
    while (this.backlog.length > 0) {
      const head = this.backlog[0]!;
      const early = head.notBefore > 0 ? head.notBefore - performance.now() : 0;
      if (early > 0) {
        wait = Math.ceil(early);
        break;
      }
      const pkt = encodeEvent({ kind: 'pgFlip', id: this.nextEventId, type: EVT_PG_FLIP, fbCookie: head.fbCookie }, this.version);
      if (!this.events.send(pkt)) break;
      this.backlog.shift();
      this.nextEventId = (this.nextEventId + 1) & 0xffff;
      sent = true;
    }
    if (sent) this.evtChannel.notify();
    if (this.backlog.length > 0 && !this.retry) {
      log.debug(`connector ${this.connector}: ${this.backlog.length} frame-done event(s) waiting`);
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.flushEvents();
      }, wait);
    }
  }

  close(): void {
    clearTimeout(this.retry);
    this.backlog.length = 0;
  }
}
