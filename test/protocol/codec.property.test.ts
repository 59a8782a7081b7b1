// Property tests: every request / response / event kind round-trips through its codec in v1 and v2, also when
// written into a larger buffer at an offset; out-of-range fields and v2-only content in v1 are refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVT_PG_FLIP, Op, PACKET_SIZE, type ProtocolVersion } from '../../protocol/displif/constants.js';
import { decodeRequest, encodeRequest, isSetConfigReset, type Request } from '../../protocol/displif/request.js';
import { decodeResponse, encodeResponse, type Response } from '../../protocol/displif/response.js';
import { decodeEvent, encodeEvent, type Event } from '../../protocol/displif/event.js';
import { expectProtocolError } from './expect-error.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const cookie = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const lastOp = (v: ProtocolVersion): number => (v === 2 ? Op.GET_EDID : Op.PG_FLIP);

function requestArb(version: ProtocolVersion): fc.Arbitrary<Request> {
  const kinds: fc.Arbitrary<Request>[] = [
    fc.record({
      kind: fc.constant('dbufCreate' as const), operation: fc.constant(Op.DBUF_CREATE), id: u16, dbufCookie: cookie,
      width: u32, height: u32, bpp: u32, bufferSz: u32, flags: u32, grefDirectory: u32,
      dataOfs: version === 2 ? u32 : fc.constant(0),
    }),
    fc.record({ kind: fc.constant('dbufDestroy' as const), operation: fc.constant(Op.DBUF_DESTROY), id: u16, dbufCookie: cookie }),
    fc.record({
      kind: fc.constant('fbAttach' as const), operation: fc.constant(Op.FB_ATTACH), id: u16, dbufCookie: cookie,
      fbCookie: cookie, width: u32, height: u32, pixelFormat: u32,
    }),
    fc.record({ kind: fc.constant('fbDetach' as const), operation: fc.constant(Op.FB_DETACH), id: u16, fbCookie: cookie }),
    fc.record({
      kind: fc.constant('setConfig' as const), operation: fc.constant(Op.SET_CONFIG), id: u16, fbCookie: cookie,
      x: u32, y: u32, width: u32, height: u32, bpp: u32,
    }),
    fc.record({ kind: fc.constant('pgFlip' as const), operation: fc.constant(Op.PG_FLIP), id: u16, fbCookie: cookie }),
    fc.record({
      kind: fc.constant('unknown' as const),
      operation: fc.integer({ min: 0, max: 0xff }).filter((op) => op < Op.DBUF_CREATE || op > lastOp(version)),
      id: u16,
    }),
  ];
  if (version === 2) {
    kinds.push(fc.record({ kind: fc.constant('getEdid' as const), operation: fc.constant(Op.GET_EDID), id: u16, bufferSz: u32, grefDirectory: u32 }));
  }
  return fc.oneof(...kinds);
}

function responseArb(version: ProtocolVersion): fc.Arbitrary<Response> {
  const generic = fc.record({
    kind: fc.constant('generic' as const),
    id: u16,
    // In v2 a response with operation 0x16 decodes as a GET_EDID response (with edidSz), so generic skips it there.
    operation: fc.integer({ min: 0, max: 0xff }).filter((op) => version === 1 || op !== Op.GET_EDID),
    status: i32,
  });
  if (version === 1) return generic;
  return fc.oneof(generic, fc.record({ kind: fc.constant('getEdid' as const), id: u16, operation: fc.constant(Op.GET_EDID), status: i32, edidSz: u32 }));
}

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant('pgFlip' as const), id: u16, type: fc.constant(EVT_PG_FLIP), fbCookie: cookie }),
  fc.record({ kind: fc.constant('unknown' as const), id: u16, type: fc.integer({ min: 1, max: 0xff }) }),
);

/** Junk-filled buffer with room for a packet at a random offset. */
const placement = fc.record({ before: fc.integer({ min: 0, max: 100 }), after: fc.integer({ min: 0, max: 100 }), junk: fc.integer({ min: 0, max: 255 }) });

/** One packet kind's codec, called the way request.ts, response.ts and event.ts all export theirs. */
interface Codec<T> {
  encode(value: T, version: ProtocolVersion, target?: Uint8Array, offset?: number): Uint8Array;
  decode(bytes: Uint8Array, version: ProtocolVersion, offset?: number): T;
}

/**
 * `value` encodes to 64 bytes that decode back to it; encoded at `p.before` into a junk-filled buffer it writes the
 * same bytes there (returning that subarray), leaves the junk around it alone and decodes back from that offset.
 */
function checkRoundTrip<T>(codec: Codec<T>, value: T, version: ProtocolVersion, p: { before: number; after: number; junk: number }): void {
  const fresh = codec.encode(value, version);
  expect(fresh.length).toBe(PACKET_SIZE);
  expect(codec.decode(fresh, version)).toEqual(value);
  const target = new Uint8Array(p.before + PACKET_SIZE + p.after).fill(p.junk);
  const written = codec.encode(value, version, target, p.before);
  expect(written.byteOffset - target.byteOffset).toBe(p.before);
  expect(written).toEqual(fresh);
  expect(target.subarray(0, p.before).every((b) => b === p.junk)).toBe(true);
  expect(target.subarray(p.before + PACKET_SIZE).every((b) => b === p.junk)).toBe(true);
  expect(codec.decode(target, version, p.before)).toEqual(value);
}

const requestCodec: Codec<Request> = { encode: encodeRequest, decode: decodeRequest };
const responseCodec: Codec<Response> = { encode: encodeResponse, decode: decodeResponse };
const eventCodec: Codec<Event> = { encode: encodeEvent, decode: decodeEvent };

for (const version of [1, 2] as const) {
  describe(`codec round trips, v${version}`, () => {
    it('requests', () => {
      fc.assert(fc.property(requestArb(version), placement, (req, p) => checkRoundTrip(requestCodec, req, version, p)), { numRuns: 500 });
    });

    it('responses', () => {
      fc.assert(fc.property(responseArb(version), placement, (rsp, p) => checkRoundTrip(responseCodec, rsp, version, p)), { numRuns: 300 });
    });

    it('events', () => {
      fc.assert(fc.property(eventArb, placement, (evt, p) => checkRoundTrip(eventCodec, evt, version, p)), { numRuns: 300 });
    });

    it('decoding never throws on any 64 bytes, and re-encoding what was decoded is stable', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (bytes) => {
          const req = decodeRequest(bytes, version);
          expect(decodeRequest(encodeRequest(req, version), version)).toEqual(req);
          const rsp = decodeResponse(bytes, version);
          expect(decodeResponse(encodeResponse(rsp, version), version)).toEqual(rsp);
          const evt = decodeEvent(bytes, version);
          expect(decodeEvent(encodeEvent(evt, version), version)).toEqual(evt);
        }),
        { numRuns: 500 },
      );
    });
  });
}

describe('codec refusals', () => {
  const flip: Request = { kind: 'pgFlip', operation: Op.PG_FLIP, id: 1, fbCookie: 1n };

  it('refuses out-of-range fields, leaving the target untouched', () => {
    const target = new Uint8Array(64).fill(7);
    expectProtocolError(() => encodeRequest({ ...flip, id: 0x10000 }, 2, target), 'EINVAL');
    expectProtocolError(() => encodeRequest({ ...flip, id: -1 }, 2), 'EINVAL');
    expectProtocolError(() => encodeRequest({ ...flip, id: 1.5 }, 2), 'EINVAL');
    expectProtocolError(() => encodeRequest({ ...flip, fbCookie: -1n }, 2), 'EINVAL');
    expectProtocolError(() => encodeRequest({ ...flip, fbCookie: 1n << 64n }, 2), 'EINVAL');
    expectProtocolError(() => encodeResponse({ kind: 'generic', id: 1, operation: 0x15, status: 0x80000000 }, 2), 'EINVAL');
    expectProtocolError(() => encodeResponse({ kind: 'generic', id: 1, operation: 0x100, status: 0 }, 2), 'EINVAL');
    expect(target.every((b) => b === 7)).toBe(true);
  });

  it('refuses v2-only content in v1 and unknown versions', () => {
    expectProtocolError(() => encodeRequest({ kind: 'getEdid', operation: Op.GET_EDID, id: 1, bufferSz: 4096, grefDirectory: 5 }, 1), 'EINVAL');
    const dbuf: Request = {
      kind: 'dbufCreate', operation: Op.DBUF_CREATE, id: 1, dbufCookie: 1n, width: 1, height: 1, bpp: 32,
      bufferSz: 4, flags: 0, grefDirectory: 2, dataOfs: 64,
    };
    expectProtocolError(() => encodeRequest(dbuf, 1), 'EINVAL');
    expect(decodeRequest(encodeRequest(dbuf, 2), 2)).toEqual(dbuf);
    expectProtocolError(() => encodeResponse({ kind: 'getEdid', id: 1, operation: Op.GET_EDID, status: 0, edidSz: 128 }, 1), 'EINVAL');
    expectProtocolError(() => encodeRequest(flip, 3 as ProtocolVersion), 'EINVAL');
    expectProtocolError(() => decodeRequest(new Uint8Array(64), 0 as ProtocolVersion), 'EINVAL');
  });

  it('refuses an "unknown" request whose opcode is known, and an unknown event of type 0', () => {
    expectProtocolError(() => encodeRequest({ kind: 'unknown', operation: Op.PG_FLIP, id: 1 }, 2), 'EINVAL');
    expectProtocolError(() => encodeRequest({ kind: 'unknown', operation: Op.GET_EDID, id: 1 }, 2), 'EINVAL');
    expect(decodeRequest(encodeRequest({ kind: 'unknown', operation: Op.GET_EDID, id: 1 }, 1), 1).kind).toBe('unknown');
    expectProtocolError(() => encodeEvent({ kind: 'unknown', id: 1, type: 0 }, 2), 'EINVAL');
  });

  it('refuses short buffers and bad offsets', () => {
    expectProtocolError(() => decodeRequest(new Uint8Array(63), 2), 'EINVAL');
    expectProtocolError(() => decodeResponse(new Uint8Array(64), 2, 1), 'EINVAL');
    expectProtocolError(() => encodeEvent({ kind: 'pgFlip', id: 0, type: 0, fbCookie: 1n }, 2, new Uint8Array(100), 37), 'EINVAL');
  });

  it('recognises the SET_CONFIG reset', () => {
    const reset = { kind: 'setConfig', operation: Op.SET_CONFIG, id: 6, fbCookie: 0n, x: 0, y: 0, width: 0, height: 0, bpp: 0 } as const;
    expect(isSetConfigReset(reset)).toBe(true);
    expect(isSetConfigReset({ ...reset, bpp: 32 })).toBe(false);
    expect(isSetConfigReset({ ...reset, fbCookie: 1n })).toBe(false);
  });
});
