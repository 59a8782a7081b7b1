// Xen's shared request/response ring (io/ring.h) over one 4096-byte page: header words req_prod @0, req_event @4,
// rsp_prod @8, rsp_event @12 (pad to 64), then 32 slots of 64 bytes at 64 + (idx & 31) * 64. FrontRing is the
// frontend's end (produces requests, consumes responses), BackRing the backend's. Indices are free-running u32.
// Shared words go through Atomics (the ordering io/ring.h gets from barriers) and are fetched once into locals
// before any check; slots are copied out once (no double fetch, XSA-155). A peer whose producer index cannot be
// right makes the reading end throw ProtocolError 'EIO' (the caller disconnects that peer).
import { PACKET_SIZE, PAGE_SIZE, RING_ENTRY_SIZE, RING_HEADER_SIZE, RING_SIZE } from '../displif/constants.js';
import { ProtocolError } from '../errors.js';
import { PageWords } from './page-words.js';

const REQ_PROD = 0;
const REQ_EVENT = 1;
const RSP_PROD = 2;
const RSP_EVENT = 3;

/**
 * The push-and-check-notify rule: notify exactly when `event` lies in (oldProd, newProd], i.e.
 * (newProd - event) mod 2^32 < (newProd - oldProd) mod 2^32.
 */
export function notifyNeeded(oldProd: number, newProd: number, event: number): boolean {
  return (newProd - event) >>> 0 < (newProd - oldProd) >>> 0;
}

/** Byte offset in the ring page of the slot for index `idx`. */
export function ringSlotOffset(idx: number): number {
  return RING_HEADER_SIZE + ((idx >>> 0) & (RING_SIZE - 1)) * RING_ENTRY_SIZE;
}

/** What both ends share: the index words, slot copies, push-and-check-notify and the final check. */
abstract class RingEnd {
  protected readonly words: PageWords;

  protected constructor(readonly page: Uint8Array) {
    this.words = new PageWords(page);
  }

  protected copyOut(idx: number): Uint8Array {
    const at = ringSlotOffset(idx);
    return this.page.slice(at, at + PACKET_SIZE);
  }

  protected copyIn(idx: number, packet: Uint8Array): void {
    if (packet.length !== PACKET_SIZE) throw new ProtocolError('EINVAL', `a ring slot takes ${PACKET_SIZE} bytes, got ${packet.length}`);
    this.page.set(packet, ringSlotOffset(idx));
  }

  /** Publishes `newProd` (slots are written before this store) and says whether the peer asked to be notified. */
  protected push(prodWord: number, eventWord: number, oldProd: number, newProd: number): boolean {
    this.words.store(prodWord, newProd);
    return notifyNeeded(oldProd, newProd, this.words.load(eventWord));
  }

  /** RING_FINAL_CHECK_FOR_*: no work left → ask for a notification at `cons + 1`, then look again to close the race. */
  protected finalCheck(unconsumed: () => number, eventWord: number, cons: number): boolean {
    if (unconsumed() > 0) return true;
    this.words.store(eventWord, cons + 1);
    return unconsumed() > 0;
  }
}

/** The frontend's end: writes requests, reads responses. */
export class FrontRing extends RingEnd {
  private reqProdPvt: number;
  private reqPushed: number;
  private rspCons: number;

  private constructor(page: Uint8Array, startIndex: number) {
    super(page);
    this.reqProdPvt = this.reqPushed = this.rspCons = startIndex >>> 0;
  }

  /**
   * XEN_FRONT_RING_INIT on `page`: zeroes it, sets req_prod = rsp_prod = startIndex and req_event = rsp_event =
   * startIndex + 1. Xen starts at 0; another start is only useful to test index wrap-around.
   */
  static init(page: Uint8Array, startIndex = 0): FrontRing {
    const ring = new FrontRing(page, startIndex);
    page.fill(0, 0, PAGE_SIZE);
    ring.words.store(REQ_PROD, startIndex);
    ring.words.store(RSP_PROD, startIndex);
    ring.words.store(REQ_EVENT, startIndex + 1);
    ring.words.store(RSP_EVENT, startIndex + 1);
    return ring;
  }

  /** Slots free for new requests: RING_SIZE - (req_prod_pvt - rsp_cons). */
  get freeRequests(): number {
    return RING_SIZE - ((this.reqProdPvt - this.rspCons) >>> 0);
  }

  /** Requests written (pushed or not) whose responses have not been read yet. */
  get outstanding(): number {
    return (this.reqProdPvt - this.rspCons) >>> 0;
  }

  /** Copies a 64-byte request into the next slot (not yet visible: see pushRequests); returns its index. EAGAIN when full. */
  writeRequest(packet: Uint8Array): number {
    if (this.freeRequests === 0) throw new ProtocolError('EAGAIN', 'request ring is full');
    const idx = this.reqProdPvt;
    this.copyIn(idx, packet);
    this.reqProdPvt = (idx + 1) >>> 0;
    return idx;
  }

  /** RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: publishes written requests; true when the backend must be notified. */
  pushRequests(): boolean {
    const notify = this.push(REQ_PROD, REQ_EVENT, this.reqPushed, this.reqProdPvt);
    this.reqPushed = this.reqProdPvt;
    return notify;
  }

  /**
   * Responses ready to read (rsp_prod - rsp_cons, fetched once). Throws ProtocolError 'EIO' when the backend's
   * rsp_prod claims more responses than requests were pushed (this subsumes RING_RESPONSE_PROD_OVERFLOW).
   */
  unconsumedResponses(): number {
    const prod = this.words.load(RSP_PROD);
    const ready = (prod - this.rspCons) >>> 0;
    if (ready > ((this.reqPushed - this.rspCons) >>> 0)) {
      throw new ProtocolError('EIO', `backend rsp_prod ${prod} is ${ready} past rsp_cons ${this.rspCons}, beyond the requests pushed`);
    }
    return ready;
  }

  /** A private copy of the next response, or undefined when there is none. Throws 'EIO' as unconsumedResponses. */
  readResponse(): Uint8Array | undefined {
    if (this.unconsumedResponses() === 0) return undefined;
    const copy = this.copyOut(this.rspCons);
    this.rspCons = (this.rspCons + 1) >>> 0;
    return copy;
  }

  /** RING_FINAL_CHECK_FOR_RESPONSES: true when responses are waiting; otherwise arms rsp_event = rsp_cons + 1. */
  finalCheckForResponses(): boolean {
    return this.finalCheck(() => this.unconsumedResponses(), RSP_EVENT, this.rspCons);
  }
}

/** The backend's end: reads requests, writes responses. */
export class BackRing extends RingEnd {
  private reqCons: number;
  private rspProdPvt: number;
  private rspPushed: number;

  private constructor(page: Uint8Array, startIndex: number) {
    super(page);
    this.reqCons = this.rspProdPvt = this.rspPushed = startIndex >>> 0;
  }

  /** BACK_RING_INIT / ATTACH on the frontend's page: private req_cons = rsp_prod_pvt = startIndex (Xen: 0). */
  static attach(page: Uint8Array, startIndex = 0): BackRing {
    return new BackRing(page, startIndex);
  }

  /** Requests consumed but not answered yet. */
  get unanswered(): number {
    return (this.reqCons - this.rspProdPvt) >>> 0;
  }

  /**
   * Requests ready to read: min(req_prod - req_cons, RING_SIZE - (req_cons - rsp_prod_pvt)), req_prod fetched once;
   * 0 also when a full ring of requests awaits answers (RING_REQUEST_CONS_OVERFLOW). Throws ProtocolError 'EIO' when
   * req_prod is more than a ring ahead of the answered requests or behind req_cons (RING_REQUEST_PROD_OVERFLOW).
   */
  unconsumedRequests(): number {
    const prod = this.words.load(REQ_PROD);
    const ahead = (prod - this.rspProdPvt) >>> 0;
    if (ahead > RING_SIZE || ahead < this.unanswered) {
      throw new ProtocolError('EIO', `frontend req_prod ${prod} overflows the ring (req_cons ${this.reqCons}, rsp_prod ${this.rspProdPvt})`);
    }
    return Math.min((prod - this.reqCons) >>> 0, RING_SIZE - this.unanswered);
  }

  /** A private copy of the next request, or undefined when there is none to take. Throws 'EIO' as unconsumedRequests. */
  readRequest(): Uint8Array | undefined {
    if (this.unconsumedRequests() === 0) return undefined;
    const copy = this.copyOut(this.reqCons);
    this.reqCons = (this.reqCons + 1) >>> 0;
    return copy;
  }

  /** Copies a 64-byte response into the next response slot (visible after pushResponses); returns its index. */
  writeResponse(packet: Uint8Array): number {
    if (this.unanswered === 0) throw new ProtocolError('EINVAL', 'no consumed request is waiting for a response');
    const idx = this.rspProdPvt;
    this.copyIn(idx, packet);
    this.rspProdPvt = (idx + 1) >>> 0;
    return idx;
  }

  /** RING_PUSH_RESPONSES_AND_CHECK_NOTIFY: publishes written responses; true when the frontend must be notified. */
  pushResponses(): boolean {
    const notify = this.push(RSP_PROD, RSP_EVENT, this.rspPushed, this.rspProdPvt);
    this.rspPushed = this.rspProdPvt;
    return notify;
  }

  /** RING_FINAL_CHECK_FOR_REQUESTS: true when requests are waiting; otherwise arms req_event = req_cons + 1. */
  finalCheckForRequests(): boolean {
    return this.finalCheck(() => this.unconsumedRequests(), REQ_EVENT, this.reqCons);
  }
}
