// displif responses (struct xendispl_resp, 64 bytes) and their v1/v2 codec: id u16 @0 and operation u8 @2 echo the
// request, reserved @3, status int32 @4 (0 or a negative errno); v2 adds GET_EDID's edid_sz u32 @8. Everything else
// is reserved: written 0 (the Linux frontend relies on zeroed slots) and ignored on receipt.
import { Op, type ProtocolVersion } from './constants.js';
import { PacketReader, PacketWriter } from './packet.js';
import { ProtocolError } from '../errors.js';
import { assertProtocolVersion } from '../version.js';

/** A response with no payload (every operation except a v2 GET_EDID, including unknown ones). */
export interface GenericResponse {
  kind: 'generic';
  id: number;
  operation: number;
  /** 0 on success, -errno on failure (int32). */
  status: number;
}

/** v2 only. */
export interface GetEdidResponse {
  kind: 'getEdid';
  id: number;
  operation: typeof Op.GET_EDID;
  status: number;
  /** Bytes of EDID actually written to the buffer. */
  edidSz: number;
}

export type Response = GenericResponse | GetEdidResponse;

/**
 * Encodes `rsp` as a 64-byte packet: a new array, or over the 64 bytes at `offset` of `target` (subarray returned).
 * Throws ProtocolError EINVAL for out-of-range fields or a GET_EDID response in v1; `target` is untouched on error.
 */
export function encodeResponse(rsp: Response, version: ProtocolVersion, target?: Uint8Array, offset = 0): Uint8Array {
  assertProtocolVersion(version);
  const w = new PacketWriter();
  w.u16(0, rsp.id, 'id');
  w.u8(2, rsp.operation, 'operation');
  w.i32(4, rsp.status, 'status');
  if (rsp.kind === 'getEdid') {
    if (version < 2) throw new ProtocolError('EINVAL', 'GET_EDID response needs protocol version 2');
    w.u32(8, rsp.edidSz, 'edidSz');
  }
  return w.finish(target, offset);
}

/** Decodes the 64-byte response at `offset` of `bytes` (a private copy). Throws EINVAL only if the bytes are too short. */
export function decodeResponse(bytes: Uint8Array, version: ProtocolVersion, offset = 0): Response {
  assertProtocolVersion(version);
  const r = new PacketReader(bytes, offset);
  const id = r.u16(0);
  const operation = r.u8(2);
  const status = r.i32(4);
  if (operation === Op.GET_EDID && version >= 2) {
    return { kind: 'getEdid', id, operation: Op.GET_EDID, status, edidSz: r.u32(8) };
  }
  return { kind: 'generic', id, operation, status };
}
