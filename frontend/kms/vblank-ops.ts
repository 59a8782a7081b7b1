// WAIT_VBLANK and the CRTC sequence calls, with the kernel's request checks (K-WV, K-EV, SEQ-01): relative or
// absolute targets, NEXTONMISS, blocking waits (3 s then EBUSY; released when the CRTC turns off), events that
// reserve room in the file's budget and fire at their target.
import { CRTC_SEQUENCE, EVENT_TYPE, VBLANK, VBLANK_FLAGS_MASK, VBLANK_TYPES_MASK } from '../../protocol/kms/constants.js';
import { encodeSequenceEvent } from '../../protocol/kms/event.js';
import type { KmsArgs, KmsResult } from '../../protocol/kms/ops.js';
import { pvError } from '../../shared/errors.js';
import type { Crtc } from './crtc.js';
import type { KmsDevice } from './device.js';
import type { DrmFile } from './file.js';

const BLOCKING_TIMEOUT_MS = 3000;

/** Widens a 32-bit request to the counter near `count` (the kernel's 2^23 window makes this unambiguous). */
function passed(count: number, target: number): boolean {
  return ((count - target) | 0) >= 0;
}

function reply(type: number, sequence: number, ts: bigint): KmsResult<'WAIT_VBLANK'> {
  const usec = ts / 1000n;
  return { type, sequence: sequence >>> 0, tval_sec: Number(usec / 1_000_000n), tval_usec: Number(usec % 1_000_000n) };
}

export async function waitVblank(dev: KmsDevice, file: DrmFile, a: KmsArgs<'WAIT_VBLANK'>): Promise<KmsResult<'WAIT_VBLANK'>> {
  if (a.type & ~(VBLANK_TYPES_MASK | VBLANK_FLAGS_MASK | VBLANK.HIGH_CRTC_MASK)) throw pvError('EINVAL', `unknown WAIT_VBLANK bits 0x${(a.type >>> 0).toString(16)}`);
  if (a.type & VBLANK.SIGNAL) throw pvError('EINVAL', 'the SIGNAL flag is not supported');
  const high = (a.type & VBLANK.HIGH_CRTC_MASK) >>> VBLANK.HIGH_CRTC_SHIFT;
  const pipe = high || (a.type & VBLANK.SECONDARY ? 1 : 0);
  const crtc = dev.crtcs[pipe];
  if (!crtc) throw pvError('EINVAL', `pipe ${pipe} does not exist`);
  const vb = crtc.vblank;
  if (!vb.on) throw pvError('EINVAL', `CRTC ${crtc.id} is off`);
  let target = a.type & VBLANK.RELATIVE ? (vb.count + a.sequence) >>> 0 : a.sequence >>> 0;
  if (a.type & VBLANK.NEXTONMISS && passed(vb.count, target)) target = (vb.count + 1) >>> 0;
  if (a.type & VBLANK.EVENT) {
    file.reserveEvent();
    const userData = BigInt(a.signal);
    if (passed(vb.count, target)) {
      dev.sendVblankEvent(file, EVENT_TYPE.VBLANK, userData, crtc, vb.count, vb.timestampNs);
      return reply(a.type, vb.count, vb.timestampNs);
    }
    vb.add({ target, owner: file, fire: (seq, ts) => dev.sendVblankEvent(file, EVENT_TYPE.VBLANK, userData, crtc, seq, ts) });
    return reply(a.type, target, 0n);
  }
  return blockUntil(crtc, file, target, a.type);
}

function blockUntil(crtc: Crtc, file: DrmFile, target: number, type: number): Promise<KmsResult<'WAIT_VBLANK'>> {
  return new Promise((resolve, reject) => {
    const w = {
      target,
      owner: file,
      fire(seq: number, ts: bigint) {
        clearTimeout(timer);
        resolve(reply(type, seq, ts));
      },
      cancel() {
        clearTimeout(timer);
        reject(pvError('EBADF', 'the file closed while it waited'));
      },
    };
    const timer = setTimeout(() => {
      crtc.vblank.remove(w);
      reject(pvError('EBUSY', `vblank ${target} did not come within ${BLOCKING_TIMEOUT_MS} ms`));
    }, BLOCKING_TIMEOUT_MS);
    crtc.vblank.add(w);
  });
}

export function getSequence(dev: KmsDevice, a: KmsArgs<'CRTC_GET_SEQUENCE'>): KmsResult<'CRTC_GET_SEQUENCE'> {
  const crtc = dev.crtcById(a.crtc_id);
  return { crtc_id: crtc.id, active: crtc.state.active ? 1 : 0, sequence: crtc.vblank.count, sequence_ns: Number(crtc.vblank.timestampNs) };
}

export function queueSequence(dev: KmsDevice, file: DrmFile, a: KmsArgs<'CRTC_QUEUE_SEQUENCE'>): KmsResult<'CRTC_QUEUE_SEQUENCE'> {
  const crtc = dev.crtcById(a.crtc_id);
  if (a.flags & ~(CRTC_SEQUENCE.RELATIVE | CRTC_SEQUENCE.NEXT_ON_MISS)) throw pvError('EINVAL', `unknown flags 0x${a.flags.toString(16)}`);
  const vb = crtc.vblank;
  if (!vb.on) throw pvError('EINVAL', `CRTC ${crtc.id} is off`);
  let target = a.flags & CRTC_SEQUENCE.RELATIVE ? (vb.count + a.sequence) >>> 0 : a.sequence >>> 0;
  if (a.flags & CRTC_SEQUENCE.NEXT_ON_MISS && passed(vb.count, target)) target = (vb.count + 1) >>> 0;
  file.reserveEvent();
  const userData = BigInt(a.user_data);
  const fire = (seq: number, ts: bigint): void => {
    if (dev.files.has(file)) file.deliver(encodeSequenceEvent({ userData, timeNs: ts, sequence: BigInt(seq) }));
  };
  if (passed(vb.count, target)) fire(vb.count, vb.timestampNs);
  else vb.add({ target, owner: file, fire });
  return { sequence: target };
}
