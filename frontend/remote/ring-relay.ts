// The backend's end of one connector's rings, played inside the frontend process for a remote backend: the
// RingChannel writes requests into its ring page and kicks as always; this end takes each request (copied once)
// for the link, writes the responses that come back, and produces the events, numbered as the backend sent them.
import { BackRing } from '../../protocol/ring/shared-ring.js';
import { EventProducer } from '../../protocol/ring/event-ring.js';
import type { EventChannel } from '../../shared/evtchn.js';
import { asErrno, pvError, type ErrnoLike } from '../../shared/errors.js';

/** Events held while the local event page is full (its consumer runs on the next turn of the event loop). */
const EVENT_BACKLOG = 64;

export class FrontRingRelay {
  private readonly ring: BackRing;
  private readonly events: EventProducer;
  private readonly backlog: Uint8Array[] = [];
  private retry: NodeJS.Immediate | undefined;

  constructor(
    reqPage: Uint8Array,
    evtPage: Uint8Array,
    private readonly reqChannel: EventChannel,
    private readonly evtChannel: EventChannel,
    /** A request the frontend pushed, for the link. */
    private readonly onRequest: (pkt: Uint8Array) => void,
    private readonly fatal: (err: ErrnoLike) => void,
  ) {
    this.ring = BackRing.attach(reqPage);
    this.events = EventProducer.attach(evtPage);
    reqChannel.onFailure(fatal);
    evtChannel.onFailure(fatal);
    reqChannel.listen(() => this.service());
  }

  private service(): void {
    try {
      do {
        for (let pkt = this.ring.readRequest(); pkt; pkt = this.ring.readRequest()) this.onRequest(pkt);
      } while (this.ring.finalCheckForRequests());
    } catch (e) {
      this.fatal(asErrno(e));
    }
  }

  /** A response from the backend; EPROTO when no request waits for one. */
  response(pkt: Uint8Array): void {
    if (this.ring.unanswered === 0) throw pvError('EPROTO', 'the backend sent a response to no request');
    this.ring.writeResponse(pkt);
    if (this.ring.pushResponses()) this.reqChannel.notify();
  }

  /** An event from the backend; the frontend's consumer checks its sequence. */
  event(pkt: Uint8Array): void {
    if (this.backlog.length >= EVENT_BACKLOG) throw pvError('EPROTO', `the backend sent more than ${EVENT_BACKLOG} events the frontend had no room for`);
    this.backlog.push(pkt);
    this.flush();
  }

  private flush(): void {
    let sent = false;
    while (this.backlog.length > 0 && this.events.send(this.backlog[0]!)) {
      this.backlog.shift();
      sent = true;
    }
    if (sent) this.evtChannel.notify();
    if (this.backlog.length > 0 && !this.retry) {
      this.retry = setImmediate(() => {
        this.retry = undefined;
        this.flush();
      });
    }
  }

  close(): void {
    if (this.retry) clearImmediate(this.retry);
    this.backlog.length = 0;
  }
}
