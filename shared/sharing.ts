// Sharing memory with the peer over the control channel: the granting side hands a segment's fd over and grants
// its pages; the mapping side maps the segment and resolves grant refs to its pages. A `sync` barrier tells the
// granter when the peer has seen everything, so that no ring request can name a ref the peer does not know yet.
import type { MessageChannel } from './message-channel.js';
import { Budget } from './budget.js';
import { GRANT_PAGES_PER_PEER, GrantAllocator, GrantMap } from './grants.js';
import { PAGE, Segment } from './shm.js';
import { asErrno, isErrnoLike, pvError, type ErrnoLike } from './errors.js';
import type { ControlMessage } from '../protocol/bus/control.js';
import * as native from './native/index.js';

export class Granter {
  private readonly refs = new GrantAllocator();
  private nextSegment = 1;
  private nextSync = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  /** `syncTimeoutMs`: a peer that does not answer a sync in time fails it with ETIMEDOUT (a stalled backend). */
  constructor(
    private readonly ch: MessageChannel,
    private readonly syncTimeoutMs = 0,
  ) {}

  /** A fresh segment id for this side's segments. */
  segmentId(): number {
    return this.nextSegment++;
  }

  /** Hands the segment to the peer and grants all its pages; returns the first of its consecutive refs. */
  share(seg: Segment): number {
    const gref = this.refs.allocate(seg.pages);
    this.ch.send({ t: 'seg', id: seg.id, size: seg.size }, [seg.fd]);
    this.ch.send({ t: 'grant', gref, seg: seg.id, page: 0, count: seg.pages });
    return gref;
  }

  /** Revokes the grants and tells the peer to let go of the segment. */
  unshare(seg: Segment, gref: number): void {
    if (!this.ch.isOpen) return;
    this.ch.send({ t: 'ungrant', gref, count: seg.pages });
    this.ch.send({ t: 'seg-close', id: seg.id });
  }

  /** Resolves once the peer has handled every message sent before this call. */
  sync(): Promise<void> {
    const n = this.nextSync++;
    return new Promise((resolve, reject) => {
      const timer = this.syncTimeoutMs > 0 ? setTimeout(() => {
        this.waiting.delete(n);
        reject(pvError('ETIMEDOUT', `the peer did not answer within ${this.syncTimeoutMs} ms`));
      }, this.syncTimeoutMs) : undefined;
      const done = (f: () => void) => () => {
        clearTimeout(timer);
        f();
      };
      this.waiting.set(n, { resolve: done(resolve), reject: (e) => done(() => reject(e))() });
      try {
        this.ch.send({ t: 'sync', n });
      } catch (e) {
        this.waiting.delete(n);
        reject(e as Error);
      }
    });
  }

  synced(n: number): void {
    this.waiting.get(n)?.resolve();
    this.waiting.delete(n);
  }

  /** Fails every pending sync (the peer is gone). */
  fail(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

/** Default bounds of the segments one peer may hand over: each is one mapping, or one fd when kept unmapped. */
export const SEGMENTS_PER_PEER = 4096;
const UNMAPPED_SEGMENTS_PER_PEER = 1024;
/** Refused segments remembered, so that grants into them are refused with the same errno. */
const REFUSED_SEGMENTS_KEPT = 64;

export interface MapperBudgets {
  segments: Budget;
  grants: Budget;
}

/**
 * Mapping side of the sharing messages. A message that cannot be carried out (a limit, an fd that is no memfd or
 * cannot be mapped, a range that does not exist) throws an errno other than EPROTO and leaves nothing behind: the
 * caller refuses that message and keeps the peer. EPROTO is a protocol violation (a segment id used twice).
 */
export class Mapper {
  readonly grants: GrantMap;
  private readonly segments = new Map<number, Segment>();
  private readonly refusedSegments = new Map<number, ErrnoLike>();
  private readonly budgets: MapperBudgets;

  /** `mapped` false keeps the peer's segments as fds to pass on (the frontend hands be-alloc buffers to clients). */
  constructor(
    private readonly mapped = true,
    budgets?: MapperBudgets,
  ) {
    this.budgets = budgets ?? {
      segments: new Budget('segments', mapped ? SEGMENTS_PER_PEER : UNMAPPED_SEGMENTS_PER_PEER),
      grants: new Budget('granted pages', GRANT_PAGES_PER_PEER),
    };
    this.grants = new GrantMap(this.budgets.grants);
  }

  /** Handles seg / seg-close / grant / ungrant; false for other messages. Throws on a peer's protocol error. */
  handle(msg: ControlMessage, fds: number[]): boolean {
    switch (msg.t) {
      case 'seg':
        this.adopt(msg.id, fds[0]!, msg.size);
        return true;
      case 'seg-close': {
        const seg = this.segments.get(msg.id);
        if (!seg) {
          if (this.refusedSegments.delete(msg.id)) return true;
          throw pvError('ENOENT', `close of unknown segment ${msg.id}`);
        }
        this.grants.removeSegment(seg);
        this.segments.delete(msg.id);
        this.budgets.segments.give(1);
        seg.release();
        return true;
      }
      case 'grant': {
        const seg = this.segments.get(msg.seg);
        const refused = seg ? undefined : this.refusedSegments.get(msg.seg);
        try {
          if (refused) throw refused;
          if (!seg) throw pvError('ENOENT', `grant into unknown segment ${msg.seg}`);
          this.grants.add(msg, seg);
        } catch (e) {
          if (isErrnoLike(e) && e.code !== 'EEXIST') this.grants.refused(msg.gref, msg.count, e);
          throw e;
        }
        return true;
      }
      case 'ungrant':
        this.grants.remove(msg.gref, msg.count);
        return true;
      default:
        return false;
    }
  }

  /** A segment the peer handed over; `fd` is this side's either way. */
  private adopt(id: number, fd: number, size: number): void {
    if (this.segments.has(id) || this.refusedSegments.has(id)) {
      native.close(fd);
      throw pvError('EPROTO', `segment ${id} handed over twice`);
    }
    let seg: Segment;
    try {
      // Larger than this peer could ever grant: it would only take address space.
      if (size > this.budgets.grants.limit * PAGE) throw pvError('EFBIG', `segment ${id} of ${size} bytes exceeds ${this.budgets.grants.limit} pages`);
      this.budgets.segments.take(1);
      try {
        seg = this.mapped ? Segment.adopt(id, fd, size) : Segment.adoptUnmapped(id, fd, size);
      } catch (e) {
        this.budgets.segments.give(1);
        throw e;
      }
    } catch (e) {
      native.close(fd);
      if (this.refusedSegments.size >= REFUSED_SEGMENTS_KEPT) this.refusedSegments.delete(this.refusedSegments.keys().next().value!);
      this.refusedSegments.set(id, asErrno(e));
      throw e;
    }
    this.segments.set(id, seg);
  }

  /** Lets go of everything the peer shared (it is gone). Users holding a segment keep it until they release. */
  clear(): void {
    this.grants.clear();
    for (const seg of this.segments.values()) seg.release();
    this.segments.clear();
    this.refusedSegments.clear();
    this.budgets.segments.release();
  }
}
