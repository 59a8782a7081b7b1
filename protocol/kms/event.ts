// The 32-byte event records a client reads from the device (drm_event_vblank layout, little-endian): type, length,
// user_data, tv_sec, tv_usec, sequence, crtc_id.
export const EVENT_SIZE = 32;

/** VBLANK (1) and FLIP_COMPLETE (2) events. */
export interface VblankEvent {
  type: 1 | 2;
  userData: bigint;
  tvSec: number;
  tvUsec: number;
  sequence: number;
  crtcId: number;
}

export function encodeVblankEvent(e: VblankEvent): Uint8Array {
  const out = new Uint8Array(EVENT_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, e.type, true);
  dv.setUint32(4, EVENT_SIZE, true);
  dv.setBigUint64(8, BigInt.asUintN(64, e.userData), true);
  dv.setUint32(16, e.tvSec >>> 0, true);
  dv.setUint32(20, e.tvUsec >>> 0, true);
  dv.setUint32(24, e.sequence >>> 0, true);
  dv.setUint32(28, e.crtcId >>> 0, true);
  return out;
}

/** A CRTC_SEQUENCE event (type 3): header, user_data, time_ns (s64), sequence (u64); also 32 bytes. */
export interface SequenceEvent {
  type: 3;
  userData: bigint;
  timeNs: bigint;
  sequence: bigint;
}

export function encodeSequenceEvent(e: Omit<SequenceEvent, 'type'>): Uint8Array {
  const out = new Uint8Array(EVENT_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 3, true);
  dv.setUint32(4, EVENT_SIZE, true);
  dv.setBigUint64(8, BigInt.asUintN(64, e.userData), true);
  dv.setBigInt64(16, e.timeNs, true);
  dv.setBigUint64(24, BigInt.asUintN(64, e.sequence), true);
  return out;
}

export type KmsEvent = VblankEvent | SequenceEvent;

/** Decodes every whole event in a read buffer, in order; records of unknown types are skipped by their length. */
export function decodeEvents(bytes: Uint8Array): KmsEvent[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: KmsEvent[] = [];
  for (let off = 0; off + 8 <= bytes.length; ) {
    const type = dv.getUint32(off, true);
    const length = dv.getUint32(off + 4, true);
    if (length < 8 || off + length > bytes.length) break;
    if (length >= EVENT_SIZE && type === 3) {
      out.push({ type: 3, userData: dv.getBigUint64(off + 8, true), timeNs: dv.getBigInt64(off + 16, true), sequence: dv.getBigUint64(off + 24, true) });
    } else if (length >= EVENT_SIZE && (type === 1 || type === 2)) {
      out.push({
        type,
        userData: dv.getBigUint64(off + 8, true),
        tvSec: dv.getUint32(off + 16, true),
        tvUsec: dv.getUint32(off + 20, true),
        sequence: dv.getUint32(off + 24, true),
        crtcId: dv.getUint32(off + 28, true),
      });
    }
    off += length;
  }
  return out;
}
