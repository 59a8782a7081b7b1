// One end's view of the segments shared over the remote transport: each segment's bytes on this side (the
// frontend's own memfd, or the backend's mirror of it), the grant refs naming their pages (the same GrantMap the
// mapping side keeps), and the `data` messages that carry bytes across: made from changed spans, deflated, and
// applied on the other end into the same offsets. The sender keeps a shadow of what the peer holds.
import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync, constants as zlibConstants } from 'node:zlib';
import msgpack from 'msgpack-lite';
import { readPageDirectory } from '../../protocol/displif/page-directory.js';
import { DATA_CHUNK, spanBytes, type DataMessage } from '../../protocol/bus/remote.js';
import { GrantMap } from '../grants.js';
import { PAGE, type Segment } from '../shm.js';
import { pvError } from '../errors.js';
import { Budget } from '../budget.js';
import { changedSpans, chunkSpans } from './span-diff.js';

const deflate = promisify(deflateRaw);

/** Pages first .. first+count-1 of one segment, in buffer order. */
export interface PageRun {
  seg: Segment;
  first: number;
  count: number;
}

export interface Mirrored {
  seg: Segment;
  /** What the peer holds of it, for senders (undefined: zeros, as a fresh memfd is on both ends). */
  shadow: Uint8Array | undefined;
}

/** Bytes sent and their inflated size, for status and benchmarks. */
export interface DataStats {
  messages: number;
  rawBytes: number;
  wireBytes: number;
}

export class MirrorTable {
  readonly grants: GrantMap;
  private readonly segs = new Map<number, Mirrored>();
  readonly sent: DataStats = { messages: 0, rawBytes: 0, wireBytes: 0 };

  constructor(grantPages?: Budget) {
    this.grants = new GrantMap(grantPages);
  }

  /** Segments held. */
  get size(): number {
    return this.segs.size;
  }

  get(id: number): Mirrored | undefined {
    return this.segs.get(id);
  }

  add(seg: Segment): void {
    this.segs.set(seg.id, { seg, shadow: undefined });
  }

  /** Forgets a segment (its grants too) and lets go of this side's mapping. */
  remove(id: number): Segment | undefined {
    const m = this.segs.get(id);
    if (!m) return undefined;
    this.segs.delete(id);
    this.grants.removeSegment(m.seg);
    m.seg.release();
    return m.seg;
  }

  /**
   * Follows a grant or ungrant the peer's map also sees; one it refuses is ignored here (the map that matters
   * answers it), so this table never holds more than the peer's.
   */
  track(msg: { t: 'grant'; gref: number; seg: number; page: number; count: number } | { t: 'ungrant'; gref: number; count: number }): void {
    try {
      if (msg.t === 'ungrant') return this.grants.remove(msg.gref, msg.count);
      const m = this.segs.get(msg.seg);
      if (m) this.grants.add(msg, m.seg);
    } catch {
      // refused there too
    }
  }

  /** The pages a page directory lists, as runs; throws EINVAL for a directory or ref that is not granted. */
  pagesOf(dirGref: number, pages: number): PageRun[] {
    const grefs = readPageDirectory((g) => this.grants.page(g), dirGref, pages);
    const runs: PageRun[] = [];
    for (const g of grefs) {
      const r = this.grants.resolve(g);
      if (!r) throw pvError('EINVAL', `grant ref ${g} is not granted`);
      const last = runs[runs.length - 1];
      if (last && last.seg === r.seg && last.first + last.count === r.page) last.count++;
      else runs.push({ seg: r.seg, first: r.page, count: 1 });
    }
    return runs;
  }

  /** True while `run` still names a segment of this table (it may have been closed since). */
  live(run: PageRun): Mirrored | undefined {
    const m = this.segs.get(run.seg.id);
    return m?.seg === run.seg ? m : undefined;
  }

  /**
   * The changed spans of a segment within [from, to), against what the peer holds; the shadow is made only when
   * something is to be sent (a buffer never drawn into costs no copy).
   */
  changed(m: Mirrored, from: number, to: number): number[] {
    const spans = changedSpans(m.seg.bytes, m.shadow, from, to);
    if (spans.length > 0) m.shadow ??= new Uint8Array(m.seg.size);
    return spans;
  }

  /**
   * Encoded `data` messages carrying `spans` of a segment as they are now; the shadow (when kept) takes the same
   * bytes, so they are not sent again.
   */
  async encode(m: Mirrored, spans: readonly number[]): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const chunk of chunkSpans(spans, DATA_CHUNK)) {
      const raw = Buffer.allocUnsafe(spanBytes(chunk));
      let at = 0;
      for (let i = 0; i < chunk.length; i += 2) {
        const off = chunk[i]!;
        const len = chunk[i + 1]!;
        raw.set(m.seg.bytes.subarray(off, off + len), at);
        m.shadow?.set(raw.subarray(at, at + len), off);
        at += len;
      }
      const z = await deflate(raw, { level: zlibConstants.Z_BEST_SPEED });
      const msg = msgpack.encode({ t: 'data', seg: m.seg.id, spans: chunk, z });
      this.sent.messages++;
      this.sent.rawBytes += raw.length;
      this.sent.wireBytes += msg.length;
      out.push(msg);
    }
    return out;
  }

  /** Applies a peer's `data` to segment `m`: EPROTO when a span leaves the segment or the bytes do not match. */
  apply(m: Mirrored, msg: DataMessage): void {
    const total = spanBytes(msg.spans);
    for (let i = 0; i < msg.spans.length; i += 2) {
      if (msg.spans[i]! + msg.spans[i + 1]! > m.seg.size) throw pvError('EPROTO', `data span ${msg.spans[i]}+${msg.spans[i + 1]} leaves segment ${msg.seg} of ${m.seg.size} bytes`);
    }
    let raw: Buffer;
    try {
      // The bound makes a deflate bomb cost no more than the spans it claims to fill. Inflating at most DATA_CHUNK
      // bytes takes a millisecond or two: done here, in order, rather than on the thread pool (whose threads'
      // malloc arenas would grow this process for nothing).
      raw = inflateRawSync(msg.z, { maxOutputLength: Math.max(total, 1) });
    } catch (e) {
      throw pvError('EPROTO', `data for segment ${msg.seg} does not inflate: ${(e as Error).message}`);
    }
    if (raw.length !== total) throw pvError('EPROTO', `data for segment ${msg.seg} inflates to ${raw.length} bytes, its spans name ${total}`);
    let at = 0;
    for (let i = 0; i < msg.spans.length; i += 2) {
      const off = msg.spans[i]!;
      const len = msg.spans[i + 1]!;
      m.seg.bytes.set(raw.subarray(at, at + len), off);
      m.shadow?.set(raw.subarray(at, at + len), off);
      at += len;
    }
  }

  /** Spans covering whole runs (what a segment's pages hold, for small buffers sent as they are). */
  static runSpans(run: PageRun): number[] {
    return [run.first * PAGE, run.count * PAGE];
  }

  clear(): void {
    for (const id of [...this.segs.keys()]) this.remove(id);
    this.grants.clear();
  }
}
