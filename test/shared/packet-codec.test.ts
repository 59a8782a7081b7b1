// The hand-written codec is msgpack-lite exactly: the same bytes for every value a packet can hold, the same value
// (or the same failure) for every byte string, hostile ones included.
import fc from 'fast-check';
import msgpack from 'msgpack-lite';
import { describe, expect, it } from 'vitest';
import { decodePacket, encodePacket } from '../../shared/packet-codec.js';

/** Integers at every width boundary msgpack-lite switches on, and doubles. */
const numbers = fc.oneof(
  fc.integer({ min: -0x20, max: 0x7f }),
  fc.integer({ min: -0x80, max: 0xff }),
  fc.integer({ min: -0x8000, max: 0xffff }),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.integer({ min: 0x80000000, max: 0xffffffff }),
  fc.constantFrom(0xff, 0x100, 0xffff, 0x10000, 2 ** 32, -(2 ** 31) - 1, 2 ** 53, -0, NaN, Infinity, 1.5),
  fc.double(),
);
const strings = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
const bytes = fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ minLength: 250, maxLength: 300 }));
const keys = fc.oneof(fc.constantFrom('id', 'op', 'args', 'ok', 're', 'ev', 'err', '__proto__', 'constructor', '1', 'é'), strings);
const values = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    numbers,
    strings,
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    bytes.map((b) => Buffer.from(b)),
    bytes, // a plain Uint8Array: msgpack-lite's ext 0x12
    fc.array(tie('value'), { maxLength: 20 }),
    fc.dictionary(keys, tie('value'), { maxKeys: 20, noNullPrototype: false }),
  ),
})).value;

/**
 * A value spelled out, prototypes included: a `__proto__` key makes msgpack-lite give an object a decoded value as
 * its prototype, which deep-equality helpers cannot even walk.
 */
function spell(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object' || v === null) return String(v);
  if (ArrayBuffer.isView(v)) return `${Buffer.isBuffer(v) ? 'bin' : v.constructor.name}:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  if (Array.isArray(v)) return `[${v.map(spell).join(',')}]`;
  const proto: unknown = Object.getPrototypeOf(v);
  const entries = Object.keys(v).map((k) => `${JSON.stringify(k)}:${spell((v as Record<string, unknown>)[k])}`);
  return `${proto === Object.prototype ? '' : `proto ${spell(proto)} `}{${entries.join(',')}}`;
}

/**
 * msgpack-lite picks an object's type from its `constructor` property, own keys included: `{ constructor: { name:
 * 'Uint8Array' } }` becomes an empty ext, and a `name` that is an object throws. That reads the data as a type, so the
 * codec does not copy it (it writes such an object as the map it is); values holding one are compared on their own.
 */
function typedByOwnKey(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return false;
  if (Array.isArray(v)) return v.some(typedByOwnKey);
  const own = v as Record<string, unknown>;
  if (Object.hasOwn(own, 'constructor') && typeof own.constructor === 'object' && own.constructor !== null) return true;
  return Object.keys(own).some((k) => typedByOwnKey(own[k]));
}
const packets = fc.dictionary(keys, values, { maxKeys: 8 }).filter((m) => !typedByOwnKey(m));

/** decode() of both: the same value, or both throwing. */
function sameDecode(b: Buffer): void {
  let want: unknown;
  try {
    want = msgpack.decode(b);
  } catch {
    expect(() => decodePacket(b)).toThrow();
    return;
  }
  expect(spell(decodePacket(b))).toBe(spell(want));
}

describe('packet codec', () => {
  it('writes the bytes msgpack-lite writes for any packet, and reads them back as msgpack-lite does', () => {
    fc.assert(
      fc.property(packets, (msg) => {
        const b = encodePacket(msg);
        expect(b.toString('hex')).toBe(msgpack.encode(msg).toString('hex'));
        sameDecode(b);
      }),
      { numRuns: 3000 },
    );
  });

  it('an object whose own `constructor` key holds an object is written as the map it is, where msgpack-lite loses or rejects it', () => {
    for (const m of [{ a: { constructor: { name: 'Uint8Array' } } }, { a: [{ constructor: { name: {} } }] }, { constructor: {} }]) {
      expect(spell(decodePacket(encodePacket(m)))).toBe(spell(m));
    }
    expect(msgpack.encode({ a: { constructor: { name: 'Uint8Array' } } }).toString('hex')).toBe('81a161c70012');
  });

  it('a flip request, its reply and its event packet', () => {
    const packets: Record<string, unknown>[] = [
      { id: 7, op: 'MODE_PAGE_FLIP', args: { crtc_id: 40, fb_id: 52, flags: 1, user_data: new Uint8Array(8).fill(9) } },
      { re: 7, ok: {} },
      { ev: Buffer.alloc(32, 1) },
      { re: 7, err: { errno: 22, code: 'EINVAL', message: 'bad' } },
    ];
    for (const m of packets) {
      const b = encodePacket(m);
      expect(b).toEqual(msgpack.encode(m));
      expect(decodePacket(b)).toStrictEqual(msgpack.decode(b));
    }
  });

  it('values it does not write itself (other types, past its 256 KiB scratch) go through msgpack-lite unchanged', () => {
    const others: Record<string, unknown>[] = [{ d: new Date(0) }, { m: new Map([[1, 2]]) }, { f: () => 1 }, { r: /x/ }, { u: new Uint16Array([1, 2]) }, { e: new Error('x') }, { big: Buffer.alloc(300 * 1024, 1) }, { s: 'é'.repeat(100_000) }];
    for (const m of others) expect(encodePacket(m)).toEqual(msgpack.encode(m));
  });

  it('any bytes decode as msgpack-lite decodes them, or fail as it does', () => {
    const near = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      // A valid packet cut short, with a byte changed, or with bytes after it.
      fc.tuple(packets, fc.nat(), fc.nat(255), fc.uint8Array({ maxLength: 4 })).map(([m, where, to, tail]) => {
        const b = Buffer.from(msgpack.encode(m));
        const cut = Buffer.concat([b.subarray(0, b.length - (where % 3)), Buffer.from(tail)]);
        if (cut.length > 0 && where % 2 === 0) cut[where % cut.length] = to;
        return cut;
      }),
      // 64-bit integers (the C interposer writes them for values past 32 bits), inside a map and alone.
      fc.tuple(fc.constantFrom(0xcf, 0xd3), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.boolean()).map(([t, b, inMap]) =>
        Buffer.concat([Buffer.from(inMap ? [0x81, 0xa1, 0x76, t] : [t]), Buffer.from(b)]),
      ),
      // Non-string keys, 64-bit integers, unknown ext types.
      fc.constantFrom('81 01 02', '81 c0 02', '81 a9 5f 5f 70 72 6f 74 6f 5f 5f 81 a1 61 01', 'cf 00 00 00 01 00 00 00 00', 'd3 ff ff ff ff ff ff ff ff', 'd4 01 00', 'c7 00 12', 'c1', 'df ff ff ff ff').map((h) => Buffer.from(h.replaceAll(' ', ''), 'hex')),
    );
    fc.assert(fc.property(near, sameDecode), { numRuns: 5000 });
  });

  it('a decoded bin or Uint8Array is a copy: it does not pin or alias the packet', () => {
    const b = encodePacket({ bin: Buffer.from([1, 2, 3]), u8: new Uint8Array([4, 5, 6]) });
    const v = decodePacket(b) as { bin: Buffer; u8: Uint8Array };
    b.fill(0);
    expect([...v.bin, ...v.u8]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
