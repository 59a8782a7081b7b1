// The remote transport's byte path in process: which spans changed, how they are cut, and a mirror filled from
// them byte for byte; a peer's data that leaves its segment, does not inflate or inflates to more than it claims
// is EPROTO and writes nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import msgpack from 'msgpack-lite';
import { changedSpans, chunkSpans } from '../../shared/remote/span-diff.js';
import { MirrorTable } from '../../shared/remote/mirror-table.js';
import { parseRemote, type DataMessage } from '../../protocol/bus/remote.js';
import { Segment } from '../../shared/shm.js';

describe('changed spans', () => {
  it('nothing for equal bytes; 256-byte blocks around a change, adjacent ones joined', () => {
    const a = new Uint8Array(3 * 4096);
    const b = new Uint8Array(3 * 4096);
    expect(changedSpans(a, b, 0, a.length)).toEqual([]);
    a[5000] = 1;
    expect(changedSpans(a, b, 0, a.length)).toEqual([4864, 256]);
    a[5200] = 1;
    a[9000] = 1;
    expect(changedSpans(a, b, 0, a.length)).toEqual([4864, 512, 8960, 256]);
    // Only what lies in the range is looked at, and a range need not be page aligned.
    expect(changedSpans(a, b, 5100, 5300)).toEqual([5100, 200]);
    // Without a shadow the reference is zeros.
    expect(changedSpans(a, undefined, 0, a.length)).toEqual([4864, 512, 8960, 256]);
  });

  it('chunks hold at most the limit, a long span is split', () => {
    expect(chunkSpans([0, 10, 20, 5], 8)).toEqual([[0, 8], [8, 2, 20, 5]]);
    expect(chunkSpans([0, 16], 8)).toEqual([[0, 8], [8, 8]]);
  });
});

describe('mirror tables', () => {
  const segs: Segment[] = [];
  const seg = (id: number, size: number) => {
    const s = Segment.create(id, 'test-mirror', size);
    segs.push(s);
    return s;
  };
  afterEach(() => {
    for (const s of segs.splice(0)) s.release();
  });
  const decoded = (buf: Buffer) => parseRemote(msgpack.decode(buf) as Record<string, unknown>) as DataMessage;

  it('the spans sent fill the mirror byte for byte, and are not sent again', async () => {
    const from = new MirrorTable();
    const to = new MirrorTable();
    from.add(seg(1, 8 * 4096));
    to.add(seg(1, 8 * 4096));
    const src = from.get(1)!;
    for (let i = 0; i < src.seg.size; i += 7) src.seg.bytes[i] = i & 0xff;
    const msgs = await from.encode(src, from.changed(src, 0, src.seg.size));
    for (const m of msgs) to.apply(to.get(1)!, decoded(m));
    expect(Buffer.from(to.get(1)!.seg.bytes).equals(Buffer.from(src.seg.bytes))).toBe(true);
    expect(from.changed(src, 0, src.seg.size)).toEqual([]);
    expect(from.sent.rawBytes).toBe(src.seg.size);
  });

  it('data leaving the segment, not inflating, or inflating past its spans is EPROTO and writes nothing', () => {
    const to = new MirrorTable();
    to.add(seg(1, 4096));
    const m = to.get(1)!;
    const data = (spans: number[], z: Buffer): DataMessage => ({ t: 'data', seg: 1, spans, z });
    expect(() => to.apply(m, data([4000, 200], deflateRawSync(Buffer.alloc(200, 1))))).toThrow(expect.objectContaining({ code: 'EPROTO' }));
    expect(() => to.apply(m, data([0, 16], Buffer.from('not deflate')))).toThrow(expect.objectContaining({ code: 'EPROTO' }));
    expect(() => to.apply(m, data([0, 16], deflateRawSync(Buffer.alloc(64 * 1024 * 1024, 1))))).toThrow(expect.objectContaining({ code: 'EPROTO' }));
    expect(() => to.apply(m, data([0, 16], deflateRawSync(Buffer.alloc(8, 1))))).toThrow(expect.objectContaining({ code: 'EPROTO' }));
    expect(m.seg.bytes.every((b) => b === 0)).toBe(true);
  });

  it('spans past a chunk, or of length 0, are malformed', () => {
    expect(() => parseRemote({ t: 'data', seg: 1, spans: [0, 2 * 1024 * 1024], z: Buffer.alloc(1) })).toThrow(/exceeds/);
    expect(() => parseRemote({ t: 'data', seg: 1, spans: [0, 0], z: Buffer.alloc(1) })).toThrow(/not a valid/);
    expect(() => parseRemote({ t: 'req', port: 1, pkt: Buffer.alloc(63) })).toThrow(/64 bytes/);
  });
});
