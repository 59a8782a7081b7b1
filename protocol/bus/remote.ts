// The remote transport's messages (a WebSocket, no shared memory): every control message except that nothing
// carries an fd (a segment or an event channel is named by its number alone), plus what shared pages carried:
// one displif packet of a ring (`req` frontend → backend; `rsp`, `evt` backend → frontend, named by the event
// channel port the ring kicks) and `data`, bytes of a segment (spans of [offset, length], deflated together).
import { FieldError, uint, type Fields } from '../fields.js';
import { PACKET_SIZE } from '../displif/constants.js';
import { parseControl, type ControlMessage } from './control.js';

/** Largest message either end accepts (a `data` chunk is at most DATA_CHUNK bytes before compression). */
export const MAX_REMOTE_MESSAGE = 2 * 1024 * 1024;
/** Bytes of a segment one `data` message carries at most, inflated. */
export const DATA_CHUNK = 1024 * 1024;
/** Spans one `data` message names at most. */
const MAX_SPANS = 4096;

export type RingPacketMessage = { t: 'req' | 'rsp' | 'evt'; port: number; pkt: Uint8Array };
export type DataMessage = { t: 'data'; seg: number; spans: number[]; z: Uint8Array };
export type RemoteMessage = ControlMessage | RingPacketMessage | DataMessage;

function binary(m: Fields, key: string, maxLen: number): Uint8Array {
  const v = m[key];
  if (!(v instanceof Uint8Array) || v.length > maxLen) throw new FieldError('EPROTO', 71, `field '${key}' must be bytes (at most ${maxLen})`);
  return v;
}

/** Spans as a flat [offset, length, …] list: lengths positive, the total at most DATA_CHUNK. */
function spans(m: Fields): number[] {
  const raw = m.spans;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length % 2 !== 0 || raw.length > 2 * MAX_SPANS) throw new FieldError('EPROTO', 71, "field 'spans' must be [offset, length, …]");
  let total = 0;
  for (let i = 0; i < raw.length; i++) {
    const v: unknown = raw[i];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < (i % 2 ? 1 : 0)) throw new FieldError('EPROTO', 71, `span value ${String(v)} is not a valid offset or length`);
    if (i % 2) total += v;
  }
  if (total > DATA_CHUNK) throw new FieldError('EPROTO', 71, `data of ${total} bytes exceeds ${DATA_CHUNK}`);
  return raw as number[];
}

/** Validates a decoded message from the remote peer; throws EPROTO for anything malformed. */
export function parseRemote(m: Fields): RemoteMessage {
  switch (m.t) {
    case 'req':
    case 'rsp':
    case 'evt': {
      const pkt = binary(m, 'pkt', PACKET_SIZE);
      if (pkt.length !== PACKET_SIZE) throw new FieldError('EPROTO', 71, `a ring packet has ${PACKET_SIZE} bytes, got ${pkt.length}`);
      return { t: m.t, port: uint(m, 'port', 0xffffffff, 'EPROTO'), pkt };
    }
    case 'data':
      return { t: 'data', seg: uint(m, 'seg', 0xffffffff, 'EPROTO'), spans: spans(m), z: binary(m, 'z', MAX_REMOTE_MESSAGE) };
    default:
      return parseControl(m);
  }
}

/** Total bytes the spans name. */
export function spanBytes(list: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < list.length; i += 2) n += list[i]!;
  return n;
}
