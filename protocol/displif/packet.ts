// The 64-byte packet under the request, response and event codecs: a range-checked little-endian writer that
// starts from zero (reserved bytes are always sent as 0) and a bounds-checked reader.
import { PACKET_SIZE } from './constants.js';
import { ProtocolError, checkIntRange, U8_MAX, U16_MAX, U32_MAX } from '../errors.js';

const U64_MAX = (1n << 64n) - 1n;

function checkRoom(bytes: Uint8Array, offset: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + PACKET_SIZE > bytes.length) {
    throw new ProtocolError('EINVAL', `a packet needs ${PACKET_SIZE} bytes at offset ${offset} of ${bytes.length}`);
  }
}

/** Builds one packet in a private zeroed buffer; `finish` copies it out only once every field passed its checks. */
export class PacketWriter {
  private readonly bytes = new Uint8Array(PACKET_SIZE);
  private readonly view = new DataView(this.bytes.buffer);

  u8(at: number, value: number, name: string): void {
    checkIntRange(name, value, 0, U8_MAX);
    this.view.setUint8(at, value);
  }

  u16(at: number, value: number, name: string): void {
    checkIntRange(name, value, 0, U16_MAX);
    this.view.setUint16(at, value, true);
  }

  u32(at: number, value: number, name: string): void {
    checkIntRange(name, value, 0, U32_MAX);
    this.view.setUint32(at, value, true);
  }

  i32(at: number, value: number, name: string): void {
    checkIntRange(name, value, -0x80000000, 0x7fffffff);
    this.view.setInt32(at, value, true);
  }

  u64(at: number, value: bigint, name: string): void {
    if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
      throw new ProtocolError('EINVAL', `${name} must be a bigint in [0, 2^64), got ${String(value)}`);
    }
    this.view.setBigUint64(at, value, true);
  }

  /** The packet: a fresh 64-byte array, or the 64 bytes at `offset` of `target` (overwritten whole) as a subarray. */
  finish(target?: Uint8Array, offset = 0): Uint8Array {
    if (target === undefined) return this.bytes;
    checkRoom(target, offset);
    target.set(this.bytes, offset);
    return target.subarray(offset, offset + PACKET_SIZE);
  }
}

/** Reads little-endian fields of the packet at `offset`; decode from a private copy, never from live shared memory. */
export class PacketReader {
  private readonly view: DataView;

  constructor(bytes: Uint8Array, offset = 0) {
    checkRoom(bytes, offset);
    this.view = new DataView(bytes.buffer, bytes.byteOffset + offset, PACKET_SIZE);
  }

  u8(at: number): number {
    return this.view.getUint8(at);
  }

  u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  i32(at: number): number {
    return this.view.getInt32(at, true);
  }

  u64(at: number): bigint {
    return this.view.getBigUint64(at, true);
  }
}
