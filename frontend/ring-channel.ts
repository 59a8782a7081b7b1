// The frontend's end of one connector's channels (Linux: xen_drm_front_evtchnl): requests go on the shared ring
// one at a time with a u16 id, answered within a deadline (ETIMEDOUT otherwise); frame-done events arrive on the
// event page and are accepted only with the next expected id.
import { EVT_PG_FLIP, type ProtocolVersion } from '../protocol/displif/constants.js';
import { decodeEvent } from '../protocol/displif/event.js';
import { encodeRequest, type Request } from '../protocol/displif/request.js';
import { decodeResponse, type Response } from '../protocol/displif/response.js';
import { FrontRing } from '../protocol/ring/shared-ring.js';
import { EventConsumer } from '../protocol/ring/event-ring.js';
import { codeOf, fromErrno, knownErrno, pvError, asErrno, type ErrnoLike } from '../shared/errors.js';
import type { EventChannel } from '../shared/evtchn.js';
import { logger } from '../shared/log.js';

const log = logger('evtchnl');

/** A request without its id: the channel numbers it. */
export type Outgoing = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

interface Waiter {
  id: number;
  resolve: (rsp: Response) => void;
  reject: (err: ErrnoLike) => void;
  timer: NodeJS.Timeout;
}

/** A backend's failure status: a known negative errno keeps its name; anything else (INT_MAX, positive) is EIO. */
function statusError(status: number, what: string): ErrnoLike {
  const code = status < 0 ? codeOf(status) : undefined;
  if (code !== undefined && knownErrno(code) !== undefined) return fromErrno(status, what);
  return pvError('EIO', `${what}: unknown status ${status}`);
}

export class RingChannel {
  private readonly ring: FrontRing;
  private readonly events: EventConsumer;
  private nextId = 0;
  private nextEventId = 0;
  private waiter: Waiter | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private broken: ErrnoLike | undefined;

  constructor(
    readonly connector: number,
    reqPage: Uint8Array,
    evtPage: Uint8Array,
    private readonly reqChannel: EventChannel,
    evtChannel: EventChannel,
    private readonly version: ProtocolVersion,
    private readonly timeoutMs: number,
    private readonly onFrameDone: () => void,
  ) {
    this.ring = FrontRing.init(reqPage);
    this.events = EventConsumer.init(evtPage);
    reqChannel.listen(() => this.onResponses());
    evtChannel.listen(() => this.onEvents());
  }

  /** Sends a request once the previous one is answered; resolves with the response, rejects with its errno. */
  call(req: Outgoing): Promise<Response> {
    const run = this.queue.then(() => this.send(req));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Everything waiting fails with EIO, as evtchnl_free does. */
  shutdown(err: ErrnoLike = pvError('EIO', 'channel torn down')): void {
    this.broken = err;
    if (this.waiter) {
      clearTimeout(this.waiter.timer);
      this.waiter.reject(err);
      this.waiter = undefined;
    }
  }

  private send(req: Outgoing): Promise<Response> {
    if (this.broken) return Promise.reject(pvError('EIO', `connector ${this.connector}: channel not connected`));
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xffff;
    return new Promise<Response>((resolve, reject) => {
      try {
        this.ring.writeRequest(encodeRequest({ ...req, id } as Request, this.version));
      } catch (e) {
        return reject(asErrno(e));
      }
      const timer = setTimeout(() => {
        if (this.waiter?.id !== id) return;
        this.waiter = undefined;
        reject(pvError('ETIMEDOUT', `connector ${this.connector}: no response to op 0x${req.operation.toString(16)} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiter = { id, resolve, reject, timer };
      if (this.ring.pushRequests()) this.reqChannel.notify();
    }).then((rsp) => {
      if (rsp.status !== 0) throw statusError(rsp.status, `backend failed op 0x${req.operation.toString(16)} on connector ${this.connector}`);
      return rsp;
    });
  }

  private onResponses(): void {
    try {
      do {
        for (let pkt = this.ring.readResponse(); pkt; pkt = this.ring.readResponse()) {
          const rsp = decodeResponse(pkt, this.version);
          // A late answer to a request that timed out carries an old id: drop it, as Linux does.
          const w = this.waiter;
          if (!w || rsp.id !== w.id) continue;
          this.waiter = undefined;
          clearTimeout(w.timer);
          w.resolve(rsp);
        }
      } while (this.ring.finalCheckForResponses());
    } catch (e) {
      log.warn(`connector ${this.connector}: ${(e as Error).message}`);
      this.shutdown(asErrno(e));
    }
  }

  private onEvents(): void {
    let packets: Uint8Array[];
    try {
      packets = this.events.readPending();
    } catch (e) {
      log.warn(`connector ${this.connector}: ${(e as Error).message}`);
      return;
    }
    for (const pkt of packets) {
      const evt = decodeEvent(pkt, this.version);
      const expected = this.nextEventId;
      this.nextEventId = (this.nextEventId + 1) & 0xffff;
      if (evt.id !== expected) {
        log.debug(`connector ${this.connector}: skipping event id ${evt.id}, expected ${expected}`);
        continue;
      }
      if (evt.kind === 'pgFlip' && evt.type === EVT_PG_FLIP) this.onFrameDone();
    }
  }
}
