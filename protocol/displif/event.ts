// displif events (struct xendispl_evt, 64 bytes) and their codec: id u16 @0, type u8 @2, reserved @3..7, payload
// @8 (PG_FLIP: fb_cookie u64). v1 and v2 share this layout; `version` is still taken (and checked) so all three
// codecs are called the same way.
import { EVT_PG_FLIP, type ProtocolVersion } from './constants.js';
import { PacketReader, PacketWriter } from './packet.js';
import { ProtocolError } from '../errors.js';
import { assertProtocolVersion } from '../version.js';

/** Frame done. `id` must count 0, 1, 2, ... per connector: the Linux frontend skips events whose id it did not expect. */
export interface PgFlipEvent {
  kind: 'pgFlip';
  id: number;
  type: typeof EVT_PG_FLIP;
  fbCookie: bigint;
}

/** An event type this implementation does not define (a frontend skips it). */
export interface UnknownEvent {
  kind: 'unknown';
  id: number;
  type: number;
}

export type Event = PgFlipEvent | UnknownEvent;

/** Encodes `evt` as a 64-byte packet: a new array, or over the 64 bytes at `offset` of `target` (subarray returned). */
export function encodeEvent(evt: Event, version: ProtocolVersion, target?: Uint8Array, offset = 0): Uint8Array {
  assertProtocolVersion(version);
  const w = new PacketWriter();
  w.u16(0, evt.id, 'id');
  w.u8(2, evt.type, 'type');
  if (evt.kind === 'pgFlip') w.u64(8, evt.fbCookie, 'fbCookie');
  else if (evt.type === EVT_PG_FLIP) throw new ProtocolError('EINVAL', 'event type 0 is PG_FLIP, not unknown');
  return w.finish(target, offset);
}

/** Decodes the 64-byte event at `offset` of `bytes` (a private copy). Throws EINVAL only if the bytes are too short. */
export function decodeEvent(bytes: Uint8Array, version: ProtocolVersion, offset = 0): Event {
  assertProtocolVersion(version);
  const r = new PacketReader(bytes, offset);
  const id = r.u16(0);
  const type = r.u8(2);
  if (type === EVT_PG_FLIP) return { kind: 'pgFlip', id, type: EVT_PG_FLIP, fbCookie: r.u64(8) };
  return { kind: 'unknown', id, type };
}
