// The displif event page (struct xendispl_event_page): in_cons u32 @0 (frontend writes), in_prod u32 @4 (backend
// writes), then 63 event slots at 64 + (idx % 63) * 64. 63 is not a power of two, so the free-running u32 indices
// are never masked: the slot is (idx >>> 0) % 63. Since 63 does not divide 2^32 the slot sequence jumps at the wrap
// (..., 0xFFFFFFFF → slot 3, 0 → slot 0), so indices a few apart can share a slot there; the producer therefore
// checks the slot is not still pending before writing. EventProducer is the backend's end, EventConsumer the
// frontend's; each copies a packet across the page once.
import { IN_RING_LEN, IN_RING_OFFS, PACKET_SIZE, PAGE_SIZE } from '../displif/constants.js';
import { ProtocolError } from '../errors.js';
import { PageWords } from './page-words.js';

const IN_CONS = 0;
const IN_PROD = 1;

/** Byte offset in the event page of the slot for index `idx` (XENDISPL_IN_RING_REF). */
export function eventSlotOffset(idx: number): number {
  return IN_RING_OFFS + ((idx >>> 0) % IN_RING_LEN) * PACKET_SIZE;
}

/** True when one of the `pending` events from index `cons` on sits in the slot of index `idx`. */
function slotPending(cons: number, pending: number, idx: number): boolean {
  const slot = eventSlotOffset(idx);
  for (let i = 0; i < pending; i++) if (eventSlotOffset(cons + i) === slot) return true;
  return false;
}

/** The backend's end: writes events and bumps in_prod. */
export class EventProducer {
  private readonly words: PageWords;
  private prod: number;

  private constructor(page: Uint8Array) {
    this.words = new PageWords(page);
    this.prod = this.words.load(IN_CONS);
    this.words.store(IN_PROD, this.prod);
  }

  /** Attaches to the frontend's event page; like libxenbe, starts with in_prod = in_cons (nothing pending). */
  static attach(page: Uint8Array): EventProducer {
    return new EventProducer(page);
  }

  /** Events sent that the frontend has not acknowledged (by its in_cons, fetched once). */
  get pending(): number {
    return (this.prod - this.words.load(IN_CONS)) >>> 0;
  }

  /**
   * Writes a 64-byte event into the next slot, then publishes it by bumping in_prod. Returns false, writing nothing,
   * when the ring cannot take it now: 63 or more events pending (libxenbe drops the event then), or, next to the
   * 2^32 wrap, the next slot still holds a pending event. Only count an event id as used when this returns true:
   * the Linux frontend expects ids 0, 1, 2, ... without gaps.
   */
  send(packet: Uint8Array): boolean {
    if (packet.length !== PACKET_SIZE) throw new ProtocolError('EINVAL', `an event takes ${PACKET_SIZE} bytes, got ${packet.length}`);
    const cons = this.words.load(IN_CONS);
    const pending = (this.prod - cons) >>> 0;
    if (pending >= IN_RING_LEN || slotPending(cons, pending, this.prod)) return false;
    this.words.page.set(packet, eventSlotOffset(this.prod));
    this.prod = (this.prod + 1) >>> 0;
    this.words.store(IN_PROD, this.prod);
    return true;
  }
}

/** The frontend's end: takes every pending event and acknowledges them with in_cons = in_prod. */
export class EventConsumer {
  private readonly words: PageWords;
  private cons: number;

  private constructor(page: Uint8Array) {
    this.words = new PageWords(page);
    this.cons = this.words.load(IN_CONS);
  }

  /** Zeroes the frontend's fresh event page and starts both indices at `startIndex` (0; others test wrap-around). */
  static init(page: Uint8Array, startIndex = 0): EventConsumer {
    page.fill(0, 0, PAGE_SIZE);
    const words = new PageWords(page);
    words.store(IN_CONS, startIndex);
    words.store(IN_PROD, startIndex);
    return new EventConsumer(page);
  }

  /** Adopts an event page as it is, continuing from its in_cons. */
  static attach(page: Uint8Array): EventConsumer {
    return new EventConsumer(page);
  }

  /**
   * Private copies of the events from in_cons up to in_prod (fetched once), then in_cons = in_prod. Throws
   * ProtocolError 'EIO', consuming nothing, when in_prod claims more than 63 pending events (a lying backend).
   */
  readPending(): Uint8Array[] {
    const prod = this.words.load(IN_PROD);
    const count = (prod - this.cons) >>> 0;
    if (count > IN_RING_LEN) {
      throw new ProtocolError('EIO', `backend in_prod ${prod} is ${count} events past in_cons ${this.cons}, more than ${IN_RING_LEN}`);
    }
    const events: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const at = eventSlotOffset(this.cons + i);
      events.push(this.words.page.slice(at, at + PACKET_SIZE));
    }
    this.cons = prod;
    this.words.store(IN_CONS, prod);
    return events;
  }
}
