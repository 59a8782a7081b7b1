// displif requests (struct xendispl_req, 64 bytes): the typed union of every request kind and its v1/v2 codec.
// Header: id u16 @0, operation u8 @2, reserved @3..7; payload @8. v2 adds DBUF_CREATE.data_ofs @40 and GET_EDID;
// in v1 those bytes are reserved. Reserved bytes are written 0 and ignored on receipt (Linux leaves stale bytes).
import { Op, type ProtocolVersion } from './constants.js';
import { PacketReader, PacketWriter } from './packet.js';
import { ProtocolError } from '../errors.js';
import { assertProtocolVersion } from '../version.js';

interface RequestHeader {
  /** Private to the frontend, echoed in the response (u16). */
  id: number;
}

export interface DbufCreateRequest extends RequestHeader {
  kind: 'dbufCreate';
  operation: typeof Op.DBUF_CREATE;
  dbufCookie: bigint;
  width: number;
  height: number;
  bpp: number;
  bufferSz: number;
  /** DBUF_FLG_REQ_ALLOC or 0. */
  flags: number;
  grefDirectory: number;
  /** v2 only: byte offset of the pixel data in the buffer; always 0 in v1. */
  dataOfs: number;
}

export interface DbufDestroyRequest extends RequestHeader {
  kind: 'dbufDestroy';
  operation: typeof Op.DBUF_DESTROY;
  dbufCookie: bigint;
}

export interface FbAttachRequest extends RequestHeader {
  kind: 'fbAttach';
  operation: typeof Op.FB_ATTACH;
  dbufCookie: bigint;
  fbCookie: bigint;
  width: number;
  height: number;
  /** DRM fourcc. */
  pixelFormat: number;
}

export interface FbDetachRequest extends RequestHeader {
  kind: 'fbDetach';
  operation: typeof Op.FB_DETACH;
  fbCookie: bigint;
}

/** An all-zero payload means reset/disable (see isSetConfigReset). */
export interface SetConfigRequest extends RequestHeader {
  kind: 'setConfig';
  operation: typeof Op.SET_CONFIG;
  fbCookie: bigint;
  x: number;
  y: number;
  width: number;
  height: number;
  bpp: number;
}

export interface PgFlipRequest extends RequestHeader {
  kind: 'pgFlip';
  operation: typeof Op.PG_FLIP;
  fbCookie: bigint;
}

/** v2 only. */
export interface GetEdidRequest extends RequestHeader {
  kind: 'getEdid';
  operation: typeof Op.GET_EDID;
  bufferSz: number;
  grefDirectory: number;
}

/** An opcode this version does not define: the backend answers it with -EINVAL, echoing id and operation. */
export interface UnknownRequest extends RequestHeader {
  kind: 'unknown';
  operation: number;
}

export type Request =
  | DbufCreateRequest
  | DbufDestroyRequest
  | FbAttachRequest
  | FbDetachRequest
  | SetConfigRequest
  | PgFlipRequest
  | GetEdidRequest
  | UnknownRequest;

export type RequestKind = Request['kind'];

/** True for the SET_CONFIG that disables the connector (cookie, position and size all zero). */
export function isSetConfigReset(req: SetConfigRequest): boolean {
  return req.fbCookie === 0n && req.x === 0 && req.y === 0 && req.width === 0 && req.height === 0 && req.bpp === 0;
}

function v2Only(what: string): never {
  throw new ProtocolError('EINVAL', `${what} needs protocol version 2`);
}

/**
 * Encodes `req` as a 64-byte packet: a new array, or written over the 64 bytes at `offset` of `target` (a subarray of
 * it is returned). Throws ProtocolError EINVAL for out-of-range fields, for v2-only content in v1 (GET_EDID,
 * non-zero dataOfs) and for an 'unknown' request whose operation is known; `target` is untouched on error.
 */
export function encodeRequest(req: Request, version: ProtocolVersion, target?: Uint8Array, offset = 0): Uint8Array {
  assertProtocolVersion(version);
  const w = new PacketWriter();
  w.u16(0, req.id, 'id');
  switch (req.kind) {
    case 'dbufCreate':
      w.u64(8, req.dbufCookie, 'dbufCookie');
      w.u32(16, req.width, 'width');
      w.u32(20, req.height, 'height');
      w.u32(24, req.bpp, 'bpp');
      w.u32(28, req.bufferSz, 'bufferSz');
      w.u32(32, req.flags, 'flags');
      w.u32(36, req.grefDirectory, 'grefDirectory');
      if (version >= 2) w.u32(40, req.dataOfs, 'dataOfs');
      else if (req.dataOfs !== 0) v2Only('DBUF_CREATE data_ofs');
      break;
    case 'dbufDestroy':
      w.u64(8, req.dbufCookie, 'dbufCookie');
      break;
    case 'fbAttach':
      w.u64(8, req.dbufCookie, 'dbufCookie');
      w.u64(16, req.fbCookie, 'fbCookie');
      w.u32(24, req.width, 'width');
      w.u32(28, req.height, 'height');
      w.u32(32, req.pixelFormat, 'pixelFormat');
      break;
    case 'fbDetach':
    case 'pgFlip':
      w.u64(8, req.fbCookie, 'fbCookie');
      break;
    case 'setConfig':
      w.u64(8, req.fbCookie, 'fbCookie');
      w.u32(16, req.x, 'x');
      w.u32(20, req.y, 'y');
      w.u32(24, req.width, 'width');
      w.u32(28, req.height, 'height');
      w.u32(32, req.bpp, 'bpp');
      break;
    case 'getEdid':
      if (version < 2) v2Only('GET_EDID');
      w.u32(8, req.bufferSz, 'bufferSz');
      w.u32(12, req.grefDirectory, 'grefDirectory');
      break;
    case 'unknown':
      if (isKnownOperation(req.operation, version)) {
        throw new ProtocolError('EINVAL', `operation 0x${req.operation.toString(16)} is not unknown in v${version}`);
      }
      break;
  }
  w.u8(2, req.operation, 'operation');
  return w.finish(target, offset);
}

function isKnownOperation(operation: number, version: ProtocolVersion): boolean {
  return operation >= Op.DBUF_CREATE && operation <= (version >= 2 ? Op.GET_EDID : Op.PG_FLIP);
}

/**
 * Decodes the 64-byte request at `offset` of `bytes` (a private copy, not live shared memory). Never throws for
 * content: an opcode the version does not define gives kind 'unknown'. Throws EINVAL only if the bytes are too short.
 */
export function decodeRequest(bytes: Uint8Array, version: ProtocolVersion, offset = 0): Request {
  assertProtocolVersion(version);
  const r = new PacketReader(bytes, offset);
  const id = r.u16(0);
  const operation = r.u8(2);
  switch (operation) {
    case Op.DBUF_CREATE:
      return {
        kind: 'dbufCreate',
        id,
        operation,
        dbufCookie: r.u64(8),
        width: r.u32(16),
        height: r.u32(20),
        bpp: r.u32(24),
        bufferSz: r.u32(28),
        flags: r.u32(32),
        grefDirectory: r.u32(36),
        dataOfs: version >= 2 ? r.u32(40) : 0,
      };
    case Op.DBUF_DESTROY:
      return { kind: 'dbufDestroy', id, operation, dbufCookie: r.u64(8) };
    case Op.FB_ATTACH:
      return {
        kind: 'fbAttach',
        id,
        operation,
        dbufCookie: r.u64(8),
        fbCookie: r.u64(16),
        width: r.u32(24),
        height: r.u32(28),
        pixelFormat: r.u32(32),
      };
    case Op.FB_DETACH:
      return { kind: 'fbDetach', id, operation, fbCookie: r.u64(8) };
    case Op.SET_CONFIG:
      return {
        kind: 'setConfig',
        id,
        operation,
        fbCookie: r.u64(8),
        x: r.u32(16),
        y: r.u32(20),
        width: r.u32(24),
        height: r.u32(28),
        bpp: r.u32(32),
      };
    case Op.PG_FLIP:
      return { kind: 'pgFlip', id, operation, fbCookie: r.u64(8) };
    case Op.GET_EDID:
      if (version >= 2) return { kind: 'getEdid', id, operation, bufferSz: r.u32(8), grefDirectory: r.u32(12) };
      break;
  }
  return { kind: 'unknown', id, operation };
}
