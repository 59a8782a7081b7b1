// FrontRing / BackRing: event-driven producer–consumer runs across the 2^32 index wrap (every request answered in
// order, no lost wake-up, notify decisions as notifyNeeded says), overflow checks against lying producer indices.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Op, PAGE_SIZE, RING_SIZE } from '../../protocol/displif/constants.js';
import { decodeRequest, encodeRequest } from '../../protocol/displif/request.js';
import { decodeResponse, encodeResponse } from '../../protocol/displif/response.js';
import { BackRing, FrontRing, notifyNeeded, ringSlotOffset } from '../../protocol/ring/shared-ring.js';
import { expectProtocolError } from './expect-error.js';

const REQ_PROD = 0;
const REQ_EVENT = 4;
const RSP_PROD = 8;
const RSP_EVENT = 12;

function header(page: Uint8Array): DataView {
  return new DataView(page.buffer, page.byteOffset, 64);
}

function flip(id: number): Uint8Array {
  return encodeRequest({ kind: 'pgFlip', operation: Op.PG_FLIP, id: id & 0xffff, fbCookie: BigInt(id) + 1n }, 2);
}

type Step = { who: 'send' | 'back' | 'front'; n: number };

describe('FrontRing / BackRing', () => {
  it('slot offsets mask the index with 31', () => {
    expect(ringSlotOffset(0)).toBe(64);
    expect(ringSlotOffset(31)).toBe(64 + 31 * 64);
    expect(ringSlotOffset(32)).toBe(64);
    expect(ringSlotOffset(0xffffffff)).toBe(64 + 31 * 64);
  });

  it('notifyNeeded is "event in (old, new]" modulo 2^32', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.integer({ min: 0, max: 64 }), fc.integer({ min: -2, max: 66 }), (old, k, d) => {
        const neu = (old + k) >>> 0;
        const event = (old + d) >>> 0;
        expect(notifyNeeded(old, neu, event)).toBe(d >= 1 && d <= k);
      }),
      { numRuns: 500 },
    );
    // The interval's edges: the event index equal to old does not notify, equal to new does; no push, no notify.
    expect(notifyNeeded(5, 8, 5)).toBe(false);
    expect(notifyNeeded(5, 8, 8)).toBe(true);
    expect(notifyNeeded(5, 5, 5)).toBe(false);
    expect(notifyNeeded(0xffffffff, 0, 0xffffffff)).toBe(false);
    expect(notifyNeeded(0xffffffff, 0, 0)).toBe(true);
  });

  it('event-driven runs across the 2^32 wrap answer every request in order and never lose a wake-up', () => {
    const step = fc.record({ who: fc.constantFrom<Step['who']>('send', 'back', 'front'), n: fc.integer({ min: 1, max: 40 }) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 80 }), fc.array(step, { maxLength: 150 }), (below, steps) => {
        const start = (2 ** 32 - below) >>> 0; // e.g. 0xFFFFFFF0: the indices wrap during the run
        const page = new Uint8Array(PAGE_SIZE);
        const front = FrontRing.init(page, start);
        const back = BackRing.attach(page, start);
        const h = header(page);
        expect([h.getUint32(REQ_PROD, true), h.getUint32(RSP_PROD, true)]).toEqual([start, start]);
        expect([h.getUint32(REQ_EVENT, true), h.getUint32(RSP_EVENT, true)]).toEqual([(start + 1) >>> 0, (start + 1) >>> 0]);

        let nextId = 0;
        const sent: number[] = [];
        const answered: number[] = [];
        let backAwake = false;
        let frontAwake = false;

        const send = (n: number): void => {
          for (let i = 0; i < n && front.freeRequests > 0; i++) {
            front.writeRequest(flip(nextId));
            sent.push(nextId++);
          }
          const old = h.getUint32(REQ_PROD, true);
          const event = h.getUint32(REQ_EVENT, true);
          const notify = front.pushRequests();
          expect(notify).toBe(notifyNeeded(old, h.getUint32(REQ_PROD, true), event));
          if (notify) backAwake = true;
        };
        // The backend wakes on a kick, works, and sleeps only once RING_FINAL_CHECK_FOR_REQUESTS finds nothing.
        const runBack = (n: number): void => {
          if (!backAwake) return;
          for (let i = 0; i < n; i++) {
            const packet = back.readRequest();
            if (packet === undefined) {
              if (!back.finalCheckForRequests()) backAwake = false;
              return;
            }
            const req = decodeRequest(packet, 2);
            back.writeResponse(encodeResponse({ kind: 'generic', id: req.id, operation: req.operation, status: 0 }, 2));
            const old = h.getUint32(RSP_PROD, true);
            const event = h.getUint32(RSP_EVENT, true);
            const notify = back.pushResponses();
            expect(notify).toBe(notifyNeeded(old, h.getUint32(RSP_PROD, true), event));
            if (notify) frontAwake = true;
          }
        };
        const runFront = (n: number): void => {
          if (!frontAwake) return;
          for (let i = 0; i < n; i++) {
            const packet = front.readResponse();
            if (packet === undefined) {
              if (!front.finalCheckForResponses()) frontAwake = false;
              return;
            }
            const rsp = decodeResponse(packet, 2);
            expect(rsp.operation).toBe(Op.PG_FLIP);
            answered.push(rsp.id);
          }
        };

        for (const s of steps) {
          if (s.who === 'send') send(s.n);
          else if (s.who === 'back') runBack(s.n);
          else runFront(s.n);
        }
        for (let guard = 0; (backAwake || frontAwake) && guard < 1000; guard++) {
          runBack(RING_SIZE);
          runFront(RING_SIZE);
        }
        expect(backAwake || frontAwake).toBe(false);
        expect(answered).toEqual(sent.map((id) => id & 0xffff));
        expect(front.outstanding).toBe(0);
        expect(front.freeRequests).toBe(RING_SIZE);
        expect(back.unanswered).toBe(0);
        expect(h.getUint32(REQ_PROD, true)).toBe((start + sent.length) >>> 0);
      }),
      { numRuns: 300 },
    );
  });

  it('a full ring refuses another request (EAGAIN) and the backend stops after a ring of unanswered requests', () => {
    const page = new Uint8Array(PAGE_SIZE);
    const front = FrontRing.init(page, 0xfffffff0);
    const back = BackRing.attach(page, 0xfffffff0);
    for (let i = 0; i < RING_SIZE; i++) front.writeRequest(flip(i));
    expect(front.freeRequests).toBe(0);
    expectProtocolError(() => front.writeRequest(flip(99)), 'EAGAIN');
    front.pushRequests();
    for (let i = 0; i < RING_SIZE; i++) expect(decodeRequest(back.readRequest()!, 2).id).toBe(i);
    expect(back.unconsumedRequests()).toBe(0); // RING_REQUEST_CONS_OVERFLOW: a full ring awaits answers
    expect(back.readRequest()).toBeUndefined();
    expect(back.unanswered).toBe(RING_SIZE);
  });

  it('copies a request out once: later writes to the slot do not change it', () => {
    const page = new Uint8Array(PAGE_SIZE);
    const front = FrontRing.init(page);
    const back = BackRing.attach(page);
    front.writeRequest(flip(1));
    front.pushRequests();
    const copy = back.readRequest()!;
    page.fill(0x77, ringSlotOffset(0), ringSlotOffset(0) + 64);
    expect(decodeRequest(copy, 2)).toMatchObject({ kind: 'pgFlip', id: 1, fbCookie: 2n });
  });

  it('a backend cannot answer a request it has not consumed', () => {
    const page = new Uint8Array(PAGE_SIZE);
    FrontRing.init(page);
    const back = BackRing.attach(page);
    expectProtocolError(() => back.writeResponse(new Uint8Array(64)), 'EINVAL');
  });

  it('rejects pages that are too small or misaligned, and packets that are not 64 bytes', () => {
    expectProtocolError(() => FrontRing.init(new Uint8Array(4095)), 'EINVAL');
    expectProtocolError(() => BackRing.attach(new Uint8Array(8192).subarray(2, 4098)), 'EINVAL');
    const front = FrontRing.init(new Uint8Array(PAGE_SIZE));
    expectProtocolError(() => front.writeRequest(new Uint8Array(63)), 'EINVAL');
  });

  it('BackRing: a lying req_prod throws EIO (and consumes nothing) iff it is more than a ring ahead or behind', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.integer({ min: 0, max: RING_SIZE }), fc.integer({ min: 0, max: RING_SIZE }), fc.nat(0xffffffff), (start, pushed, taken, lie) => {
        const page = new Uint8Array(PAGE_SIZE);
        const front = FrontRing.init(page, start);
        const back = BackRing.attach(page, start);
        for (let i = 0; i < pushed; i++) front.writeRequest(flip(i));
        front.pushRequests();
        const took = Math.min(taken, pushed);
        for (let i = 0; i < took; i++) back.readRequest();
        header(page).setUint32(REQ_PROD, (start + lie) >>> 0, true);
        const legit = lie <= RING_SIZE && lie >= took; // between req_cons and rsp_prod_pvt + RING_SIZE
        if (legit) {
          expect(back.unconsumedRequests()).toBe(lie - took);
        } else {
          expectProtocolError(() => back.unconsumedRequests(), 'EIO');
          expectProtocolError(() => back.readRequest(), 'EIO');
          expectProtocolError(() => back.finalCheckForRequests(), 'EIO');
          header(page).setUint32(REQ_PROD, (start + pushed) >>> 0, true);
          expect(back.unconsumedRequests()).toBe(pushed - took);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('FrontRing: a lying rsp_prod throws EIO iff it claims more responses than requests pushed', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.integer({ min: 0, max: RING_SIZE }), fc.nat(0xffffffff), (start, pushed, lie) => {
        const page = new Uint8Array(PAGE_SIZE);
        const front = FrontRing.init(page, start);
        for (let i = 0; i < pushed; i++) front.writeRequest(flip(i));
        front.pushRequests();
        header(page).setUint32(RSP_PROD, (start + lie) >>> 0, true);
        if (lie <= pushed) {
          expect(front.unconsumedResponses()).toBe(lie);
        } else {
          expectProtocolError(() => front.unconsumedResponses(), 'EIO');
          expectProtocolError(() => front.readResponse(), 'EIO');
          expectProtocolError(() => front.finalCheckForResponses(), 'EIO');
          expect(front.outstanding).toBe(pushed);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('final checks arm the event index at consumer + 1', () => {
    const page = new Uint8Array(PAGE_SIZE);
    const front = FrontRing.init(page, 0xffffffff);
    const back = BackRing.attach(page, 0xffffffff);
    front.writeRequest(flip(1));
    front.writeRequest(flip(2));
    expect(front.pushRequests()).toBe(true);
    expect(back.finalCheckForRequests()).toBe(true); // work pending: req_event untouched
    expect(header(page).getUint32(REQ_EVENT, true)).toBe(0);
    back.readRequest();
    back.readRequest();
    expect(back.finalCheckForRequests()).toBe(false);
    expect(header(page).getUint32(REQ_EVENT, true)).toBe(2); // req_cons (1) + 1, across the wrap
    expect(front.finalCheckForResponses()).toBe(false);
    expect(header(page).getUint32(RSP_EVENT, true)).toBe(0); // rsp_cons (0xffffffff) + 1
  });
});
