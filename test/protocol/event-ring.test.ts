// Event page: 63-slot ring with unmasked u32 indices; wrap-around at 2^32, drops when full, lying in_prod.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IN_RING_LEN, PAGE_SIZE } from '../../protocol/displif/constants.js';
import { decodeEvent, encodeEvent } from '../../protocol/displif/event.js';
import { EventConsumer, EventProducer, eventSlotOffset } from '../../protocol/ring/event-ring.js';
import { expectProtocolError } from './expect-error.js';

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function event(id: number): Uint8Array {
  return encodeEvent({ kind: 'pgFlip', id: id & 0xffff, type: 0, fbCookie: BigInt(id) }, 2);
}

describe('event ring', () => {
  it('slot offsets use (idx >>> 0) % 63 with no masking', () => {
    expect(eventSlotOffset(0)).toBe(64);
    expect(eventSlotOffset(62)).toBe(4032);
    expect(eventSlotOffset(63)).toBe(64);
    expect(eventSlotOffset(0xffffffff)).toBe(64 + (0xffffffff % 63) * 64); // slot 3, then index 0 is slot 0
    expect(eventSlotOffset(-1)).toBe(eventSlotOffset(0xffffffff));
    fc.assert(fc.property(fc.nat(0xffffffff), (i) => {
      const at = eventSlotOffset(i);
      expect(at).toBeGreaterThanOrEqual(64);
      expect(at + 64).toBeLessThanOrEqual(PAGE_SIZE);
    }));
  });

  it('producer attach sets in_prod = in_cons', () => {
    const page = new Uint8Array(PAGE_SIZE);
    const h = new DataView(page.buffer);
    h.setUint32(0, 1234, true);
    h.setUint32(4, 99, true);
    const producer = EventProducer.attach(page);
    expect(h.getUint32(4, true)).toBe(1234);
    expect(producer.pending).toBe(0);
  });

  it('runs across the 2^32 wrap: every event sent arrives once, in order, in the slot the formula names; refused only when 63 are pending or the slot is still pending', () => {
    const step = fc.record({ send: fc.integer({ min: 0, max: 80 }), consume: fc.boolean() });
    let totalWrapRefusals = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.array(step, { maxLength: 60 }), (below, steps) => {
        const start = (2 ** 32 - below) >>> 0;
        const page = new Uint8Array(PAGE_SIZE);
        const consumer = EventConsumer.init(page, start);
        const producer = EventProducer.attach(page);
        const h = new DataView(page.buffer);
        let nextId = 0;
        let pending = 0;
        let wrapRefusals = 0;
        const received: number[] = [];
        for (const s of steps) {
          for (let i = 0; i < s.send; i++) {
            const prodBefore = h.getUint32(4, true);
            const cons = h.getUint32(0, true);
            // Is the new slot one a pending event still holds? (Spec formula; near the wrap slots can collide.)
            let slotFree = true;
            for (let k = 0; k < pending && slotFree; k++) slotFree = ((cons + k) >>> 0) % IN_RING_LEN !== prodBefore % IN_RING_LEN;
            const packet = event(nextId);
            const ok = producer.send(packet);
            if (pending < IN_RING_LEN && !slotFree) wrapRefusals++;
            // Plain checks in this hot loop (expect() per event would make the run slow).
            check(ok === (pending < IN_RING_LEN && slotFree), `send ${nextId} returned ${ok} with ${pending} pending`);
            const prodAfter = h.getUint32(4, true);
            if (ok) {
              const at = eventSlotOffset(prodBefore);
              check(page.subarray(at, at + 64).every((b, k) => b === packet[k]), `event ${nextId} not in slot of ${prodBefore}`);
              check(prodAfter === ((prodBefore + 1) >>> 0), 'in_prod not bumped');
              nextId++; // event ids advance only for events actually sent
              pending++;
            } else {
              check(prodAfter === prodBefore, 'in_prod moved on a refused send');
            }
          }
          if (s.consume) {
            for (const e of consumer.readPending()) received.push(decodeEvent(e, 2).id);
            pending = 0;
            expect(h.getUint32(0, true)).toBe(h.getUint32(4, true));
          }
          expect(producer.pending).toBe(pending);
        }
        for (const e of consumer.readPending()) received.push(decodeEvent(e, 2).id);
        expect(received).toEqual(Array.from({ length: nextId }, (_, i) => i & 0xffff));
        totalWrapRefusals += wrapRefusals;
      }),
      { numRuns: 300 },
    );
    expect(totalWrapRefusals).toBeGreaterThan(0); // the runs did reach the slot collision at the wrap
  });

  it('refuses to overwrite a pending event whose slot the wrap brings round again', () => {
    const page = new Uint8Array(PAGE_SIZE);
    const consumer = EventConsumer.init(page, 0xfffffffc); // slot 0; indices ...FC..FF use slots 0..3, index 0 slot 0
    const producer = EventProducer.attach(page);
    for (let i = 0; i < 4; i++) expect(producer.send(event(i))).toBe(true);
    expect(eventSlotOffset(0)).toBe(eventSlotOffset(0xfffffffc));
    expect(producer.send(event(4))).toBe(false);
    expect(consumer.readPending().map((e) => decodeEvent(e, 2).id)).toEqual([0, 1, 2, 3]);
    expect(producer.send(event(4))).toBe(true);
    expect(consumer.readPending().map((e) => decodeEvent(e, 2).id)).toEqual([4]);
  });

  it('copies each event out once', () => {
    const page = new Uint8Array(PAGE_SIZE);
    const consumer = EventConsumer.init(page);
    EventProducer.attach(page).send(event(5));
    const [copy] = consumer.readPending();
    page.fill(0xff, 64, 128);
    expect(decodeEvent(copy!, 2)).toEqual({ kind: 'pgFlip', id: 5, type: 0, fbCookie: 5n });
  });

  it('a lying in_prod (more than 63 pending) throws EIO and consumes nothing', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), (start, lie) => {
        const page = new Uint8Array(PAGE_SIZE);
        const consumer = EventConsumer.init(page, start);
        const h = new DataView(page.buffer);
        h.setUint32(4, (start + lie) >>> 0, true);
        if (lie <= IN_RING_LEN) {
          expect(consumer.readPending()).toHaveLength(lie);
          expect(h.getUint32(0, true)).toBe((start + lie) >>> 0);
        } else {
          expectProtocolError(() => consumer.readPending(), 'EIO');
          expect(h.getUint32(0, true)).toBe(start);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a frontend whose in_cons runs ahead only starves itself: the producer drops', () => {
    const page = new Uint8Array(PAGE_SIZE);
    const producer = EventProducer.attach(page);
    new DataView(page.buffer).setUint32(0, 10, true); // in_cons past in_prod: pending wraps to a huge number
    expect(producer.send(event(0))).toBe(false);
  });
});
