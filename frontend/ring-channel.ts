// The frontend's end of one connector's channels (Linux: xen_drm_front_evtchnl): requests go on the shared ring
// one at a time with a u16 id, answered within a deadline (ETIMEDOUT otherwise); frame-done events arrive on the
// event page numbered 0, 1, 2, … A backend that breaks the ring protocol (indices past what was pushed, a response
// to no request, an event out of sequence) is a protocol violation: the whole peer is dropped, not one ring.
import { EVT_PG_FLIP, type ProtocolVersion } from '../protocol/displif/constants.js';
import { decodeEvent } from '../protocol/displif/event.js';
import { encodeRequest, type Request } from '../protocol/displif/request.js';
import { decodeResponse, type Response } from '../protocol/displif/response.js';
import { FrontRing } from '../protocol/ring/shared-ring.js';
import { EventConsumer } from '../protocol/ring/event-ring.js';
import { codeOf, fromErrno, knownErrno, pvError, asErrno, type ErrnoLike } from '../shared/errors.js';
import type { EventChannel } from '../shared/evtchn.js';
import { logger } from '../shared/log.js';
import { performance } from 'node:perf_hooks';

const log = logger('evtchnl');

/** A request without its id: the channel numbers it. */
export type Outgoing = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

/** Ids of timed-out requests whose late answers are still dropped quietly (as Linux does); one ring's worth. */
const LATE_IDS = 32;

interface Waiter {
  id: number;
  operation: number;
  resolve: (rsp: Response) => void;
  reject: (err: ErrnoLike) => void;
  /** performance.now() past which it times out. */
  deadline: number;
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
  private readonly late = new Set<number>();
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly connector: number,
    reqPage: Uint8Array,
    evtPage: Uint8Array,
    private readonly reqChannel: EventChannel,
    evtChannel: EventChannel,
    private readonly version: ProtocolVersion,
    private readonly timeoutMs: number,
    /** A frame-done event, with the framebuffer cookie it reports. */
    private readonly onFrameDone: (fbCookie: bigint) => void,
    /** The backend broke the ring protocol: the owner drops the peer. */
    private readonly onViolation: (err: ErrnoLike) => void,
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
    clearTimeout(this.deadlineTimer);
    if (this.waiter) {
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
      this.waiter = { id, operation: req.operation, resolve, reject, deadline: performance.now() + this.timeoutMs };
      this.armDeadline();
      if (this.ring.pushRequests()) this.reqChannel.notify();
    }).then((rsp) => {
      if (rsp.status !== 0) throw statusError(rsp.status, `backend failed op 0x${req.operation.toString(16)} on connector ${this.connector}`);
      return rsp;
    });
  }

  /**
   * One timer per channel, re-armed for each request instead of a new one per request (a flip's worth of
   * allocation): it may fire for a request already answered, and then only re-arms for the one in flight.
   */
  private armDeadline(): void {
    if (this.deadlineTimer) this.deadlineTimer.refresh();
    else this.deadlineTimer = setTimeout(() => this.onDeadline(), this.timeoutMs).unref(); // the ring's watchers keep the loop alive
  }

  private onDeadline(): void {
    const w = this.waiter;
    if (!w) return;
    const left = w.deadline - performance.now();
    if (left > 0) {
      this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.ceil(left)).unref();
      return;
    }
    this.waiter = undefined;
    this.late.add(w.id);
    if (this.late.size > LATE_IDS) this.late.delete(this.late.values().next().value as number);
    w.reject(pvError('ETIMEDOUT', `connector ${this.connector}: no response to op 0x${w.operation.toString(16)} within ${this.timeoutMs} ms`));
  }

  private onResponses(): void {
    try {
      do {
        for (let pkt = this.ring.readResponse(); pkt; pkt = this.ring.readResponse()) {
          const rsp = decodeResponse(pkt, this.version);
          const w = this.waiter;
          if (!w || rsp.id !== w.id) {
            // A late answer to a request that timed out carries its old id: drop it, as Linux does.
            if (this.late.delete(rsp.id)) continue;
            throw pvError('EPROTO', `response id ${rsp.id} answers no request`);
          }
          if (rsp.operation !== w.operation) throw pvError('EPROTO', `response to op 0x${w.operation.toString(16)} echoes op 0x${rsp.operation.toString(16)}`);
          this.waiter = undefined;
          w.resolve(rsp);
        }
      } while (this.ring.finalCheckForResponses());
    } catch (e) {
      this.violation(e);
    }
  }

  private violation(e: unknown): void {
    const err = asErrno(e);
    log.warn(`connector ${this.connector}: backend broke the ring protocol: ${err.message}`);
    this.shutdown(err);
    this.onViolation(err);
  }

  private onEvents(): void {
    if (this.broken) return;
    try {
      for (const pkt of this.events.readPending()) {
        const evt = decodeEvent(pkt, this.version);
        if (evt.id !== this.nextEventId) throw pvError('EPROTO', `event id ${evt.id} out of sequence, expected ${this.nextEventId}`);
        this.nextEventId = (this.nextEventId + 1) & 0xffff;
        if (evt.kind === 'pgFlip' && evt.type === EVT_PG_FLIP) this.onFrameDone(evt.fbCookie);
      }
    } catch (e) {
      this.violation(e);
    }
  }
}
