// The hand-written flip packets are msgpack-lite's bytes exactly, both ways, and every other packet (or byte
// string) is what msgpack-lite makes of it.
import fc from 'fast-check';
import msgpack from 'msgpack-lite';
import { describe, expect, it } from 'vitest';
import { decodePacket, encodePacket } from '../../shared/packet-codec.js';

/** decode() of both, or both throwing. */
function sameDecode(bytes: Buffer): void {
  let want: unknown;
  try {
    want = msgpack.decode(bytes);
  } catch {
    expect(() => decodePacket(bytes)).toThrow();
    return;
  }
  expect(decodePacket(bytes)).toEqual(want);
}

describe('packet codec', () => {
  it('event packets: the bytes msgpack-lite writes, read back equal', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 255 }), (raw) => {
        const msg = { ev: Buffer.from(raw) };
        const bytes = encodePacket(msg);
        expect(bytes).toEqual(msgpack.encode(msg));
        expect(decodePacket(bytes)).toEqual(msgpack.decode(bytes));
      }),
    );
  });

  it('empty replies: the bytes msgpack-lite writes for every id width, read back equal', () => {
    const ids = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xff }), fc.integer({ min: 0x100, max: 0xffff }), fc.integer({ min: 0x10000, max: 0xffffffff }));
    fc.assert(
      fc.property(ids, (re) => {
        const bytes = encodePacket({ re, ok: {} });
        expect(bytes).toEqual(msgpack.encode({ re, ok: {} }));
        expect(decodePacket(bytes)).toEqual({ re, ok: {} });
      }),
    );
  });

  it('other shapes go through msgpack-lite unchanged', () => {
    const others: Record<string, unknown>[] = [
      { ev: Buffer.alloc(256) },
      { ev: new Uint8Array(32) },
      { ev: Buffer.alloc(32), x: 1 },
      { re: 1, ok: { fb_id: 3 } },
      { re: -1, ok: {} },
      { re: 1.5, ok: {} },
      { re: 2 ** 32, ok: {} },
      { ok: {}, re: 1 },
      { re: 1, err: { errno: 22, code: 'EINVAL', message: 'x' } },
      { id: 1, op: 'MODE_PAGE_FLIP', args: { crtc_id: 1 } },
    ];
    for (const m of others) expect(encodePacket(m)).toEqual(msgpack.encode(m));
  });

  it('any bytes decode as msgpack-lite decodes them (or fail as it does)', () => {
    const near = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.nat(8)).map(([b, cut]) => Buffer.concat([Buffer.from([0x81, 0xa2, 0x65, 0x76, 0xc4, b.length]), Buffer.from(b)]).subarray(0, 6 + b.length - cut)),
      fc.tuple(fc.constantFrom(0x05, 0xcc, 0xcd, 0xce, 0xcf, 0xd0), fc.uint8Array({ maxLength: 8 }), fc.boolean()).map(([t, b, ok]) =>
        Buffer.concat([Buffer.from([0x82, 0xa2, 0x72, 0x65, t]), Buffer.from(b), Buffer.from(ok ? [0xa2, 0x6f, 0x6b, 0x80] : [0xa2, 0x6f, 0x6b, 0x81, 0xa1, 0x61, 0x01])]),
      ),
    );
    fc.assert(fc.property(near, sameDecode), { numRuns: 2000 });
  });
});
