// Protocol errors: the one error type thrown by protocol/, carrying an errno-style `code` and positive `errno`.
// protocol/ is pure, so it keeps its own errno table (Xen's public/errno.h matches Linux for these codes) instead of
// asking the OS; the shape (`code`, `errno`, message "CODE: what") is what the shared errno helpers recognise.

/** Positive errno numbers the protocol uses; on the wire a failure status is the negated value. */
export const ERRNO = {
  EIO: 5,
  ENXIO: 6,
  EAGAIN: 11,
  ENOMEM: 12,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ETIMEDOUT: 110,
} as const;

export type ErrnoCode = keyof typeof ERRNO;

export class ProtocolError extends Error {
  readonly code: ErrnoCode;
  readonly errno: number;

  constructor(code: ErrnoCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ProtocolError';
    this.code = code;
    this.errno = ERRNO[code];
  }
}

/** Throws EINVAL unless `value` is an integer in [min, max]; `what` names the value in the message. */
export function checkIntRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ProtocolError('EINVAL', `${what} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

export const U8_MAX = 0xff;
export const U16_MAX = 0xffff;
export const U32_MAX = 0xffffffff;
