// The backend's end of one connector's channels: it consumes requests from the shared ring (copying each once),
// answers them through the Display, and produces frame-done events numbered 0, 1, 2, … on the event page.
import { EVT_PG_FLIP, type ProtocolVersion } from '../../protocol/displif/constants.js';
import { encodeEvent } from '../../protocol/displif/event.js';
import { decodeRequest } from '../../protocol/displif/request.js';
import { encodeResponse } from '../../protocol/displif/response.js';
import { BackRing } from '../../protocol/ring/shared-ring.js';
import { EventProducer } from '../../protocol/ring/event-ring.js';
import type { EventChannel } from '../../shared/evtchn.js';
import { asErrno, type ErrnoLike } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import type { Display } from './display.js';

const log = logger('ring');

export class RingServer {
  private readonly ring: BackRing;
  private readonly events: EventProducer;
  private nextEventId = 0;
  /** Frame-done events the page had no room for yet; a dropped one would cost Linux a 3100 ms timeout. */
  private readonly backlog: bigint[] = [];
  private retry: NodeJS.Timeout | undefined;

  constructor(
    readonly connector: number,
    reqPage: Uint8Array,
    evtPage: Uint8Array,
    private readonly reqChannel: EventChannel,
    private readonly evtChannel: EventChannel,
    private readonly version: ProtocolVersion,
    private readonly display: Display,
    /** A misbehaving frontend (ring overflow): the peer is disconnected with this error. */
    private readonly fatal: (err: ErrnoLike) => void,
  ) {
    this.ring = BackRing.attach(reqPage);
    this.events = EventProducer.attach(evtPage);
    reqChannel.listen(() => this.service());
  }

  /** libxenbe's loop: take every request, answer it, then re-arm req_event and look once more. */
  service(): void {
    try {
      do {
        for (let pkt = this.ring.readRequest(); pkt; pkt = this.ring.readRequest()) {
          const rsp = this.display.handle(this.connector, decodeRequest(pkt, this.version));
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
    this.backlog.push(fbCookie);
    this.flushEvents();
  }

  /**
   * Sends queued events in order. The page refuses one while 63 are unconsumed (or, at the 2^32 index wrap, while
   * the next slot still holds one), and the frontend does not kick when it consumes, so retry on a short timer.
   */
  private flushEvents(): void {
    let sent = false;
    while (this.backlog.length > 0) {
      const pkt = encodeEvent({ kind: 'pgFlip', id: this.nextEventId, type: EVT_PG_FLIP, fbCookie: this.backlog[0]! }, this.version);
      if (!this.events.send(pkt)) break;
      this.backlog.shift();
      this.nextEventId = (this.nextEventId + 1) & 0xffff;
      sent = true;
    }
    if (sent) this.evtChannel.notify();
    if (this.backlog.length > 0 && !this.retry) {
      log.debug(`connector ${this.connector}: event page full, ${this.backlog.length} frame-done event(s) waiting`);
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.flushEvents();
      }, 1);
    }
  }

  close(): void {
    clearTimeout(this.retry);
    this.backlog.length = 0;
  }
}
