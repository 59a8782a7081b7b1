// Sharing memory with the peer over the control channel: the granting side hands a segment's fd over and grants
// its pages; the mapping side maps the segment and resolves grant refs to its pages. A `sync` barrier tells the
// granter when the peer has seen everything, so that no ring request can name a ref the peer does not know yet.
import type { Channel } from './channel.js';
import { GrantAllocator, GrantMap } from './grants.js';
import { Segment } from './shm.js';
import { pvError } from './errors.js';
import type { ControlMessage } from '../protocol/bus/control.js';
import * as native from './native/index.js';

export class Granter {
  private readonly refs = new GrantAllocator();
  private nextSegment = 1;
  private nextSync = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  /** `syncTimeoutMs`: a peer that does not answer a sync in time fails it with ETIMEDOUT (a stalled backend). */
  constructor(
    private readonly ch: Channel,
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

export class Mapper {
  readonly grants = new GrantMap();
  private readonly segments = new Map<number, Segment>();

  /** `mapped` false keeps the peer's segments as fds to pass on (the frontend hands be-alloc buffers to clients). */
  constructor(private readonly mapped = true) {}

  /** Handles seg / seg-close / grant / ungrant; false for other messages. Throws on a peer's protocol error. */
  handle(msg: ControlMessage, fds: number[]): boolean {
    switch (msg.t) {
      case 'seg': {
        const fd = fds[0]!;
        if (this.segments.has(msg.id)) {
          native.close(fd);
          throw pvError('EPROTO', `segment ${msg.id} handed over twice`);
        }
        let seg: Segment;
        try {
          seg = this.mapped ? Segment.adopt(msg.id, fd, msg.size) : Segment.adoptUnmapped(msg.id, fd, msg.size);
        } catch (e) {
          native.close(fd);
          throw e;
        }
        this.segments.set(msg.id, seg);
        return true;
      }
      case 'seg-close': {
        const seg = this.segments.get(msg.id);
        if (!seg) throw pvError('EPROTO', `close of unknown segment ${msg.id}`);
        this.grants.removeSegment(seg);
        this.segments.delete(msg.id);
        seg.release();
        return true;
      }
      case 'grant': {
        const seg = this.segments.get(msg.seg);
        if (!seg) throw pvError('EPROTO', `grant into unknown segment ${msg.seg}`);
        this.grants.add(msg, seg);
        return true;
      }
      case 'ungrant':
        this.grants.remove(msg.gref, msg.count);
        return true;
      default:
        return false;
    }
  }

  /** Lets go of everything the peer shared (it is gone). Users holding a segment keep it until they release. */
  clear(): void {
    this.grants.clear();
    for (const seg of this.segments.values()) seg.release();
    this.segments.clear();
  }
}
