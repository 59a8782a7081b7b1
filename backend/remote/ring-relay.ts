// The frontend's end of one connector's rings, played inside the backend process for a remote frontend: its
// pages are the backend's own mirror segments, which the RingServer attaches to as always. Requests from the link
// are written into the ring and kicked; the responses and events the RingServer produces are taken (copied once)
// for the link. A remote frontend that sends more requests than the ring holds broke the protocol (EPROTO).
import { FrontRing } from '../../protocol/ring/shared-ring.js';
import { EventConsumer } from '../../protocol/ring/event-ring.js';
import type { EventChannel } from '../../shared/evtchn.js';
import { asErrno, pvError, type ErrnoLike } from '../../shared/errors.js';

export class BackRingRelay {
  private readonly ring: FrontRing;
  private readonly events: EventConsumer;

  constructor(
    reqPage: Uint8Array,
    evtPage: Uint8Array,
    private readonly reqChannel: EventChannel,
    evtChannel: EventChannel,
    private readonly onResponse: (pkt: Uint8Array) => void,
    private readonly onEvent: (pkt: Uint8Array) => void,
    fatal: (err: ErrnoLike) => void,
  ) {
    this.ring = FrontRing.init(reqPage);
    this.events = EventConsumer.init(evtPage);
    reqChannel.onFailure(fatal);
    evtChannel.onFailure(fatal);
    reqChannel.listen(() => {
      try {
        do {
          for (let pkt = this.ring.readResponse(); pkt; pkt = this.ring.readResponse()) this.onResponse(pkt);
        } while (this.ring.finalCheckForResponses());
      } catch (e) {
        fatal(asErrno(e));
      }
    });
    evtChannel.listen(() => {
      try {
        for (const pkt of this.events.readPending()) this.onEvent(pkt);
      } catch (e) {
        fatal(asErrno(e));
      }
    });
  }

  request(pkt: Uint8Array): void {
    if (this.ring.freeRequests === 0) throw pvError('EPROTO', 'the frontend sent more requests than its ring holds');
    this.ring.writeRequest(pkt);
    if (this.ring.pushRequests()) this.reqChannel.notify();
  }
}
