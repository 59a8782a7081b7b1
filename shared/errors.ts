// errno-style errors: every failure that reaches a caller carries `code`, `errno` and a message saying what was wrong.
import { constants as osConstants } from 'node:os';

const ERRNO: Record<string, number> = osConstants.errno as Record<string, number>;

export interface ErrnoLike extends Error {
  code: string;
  errno: number;
}

export class PvError extends Error implements ErrnoLike {
  readonly code: string;
  readonly errno: number;

  constructor(code: string, message: string) {
    // A message relayed from a peer already starts with its code; don't say it twice.
    super(message.startsWith(`${code}: `) ? message : `${code}: ${message}`);
    this.name = 'PvError';
    this.code = code;
    this.errno = errnoOf(code);
  }
}

/** Positive errno number for a code such as 'EINVAL'; EIO for unknown codes. */
export function errnoOf(code: string): number {
  return ERRNO[code] ?? ERRNO.EIO ?? 5;
}

/** The positive errno number of a code such as 'ENOMEM', or undefined when the OS knows no such code. */
export function knownErrno(code: string): number | undefined {
  return ERRNO[code];
}

/** Code such as 'EINVAL' for a positive or negative errno number. */
export function codeOf(errno: number): string {
  const n = Math.abs(errno);
  for (const [code, value] of Object.entries(ERRNO)) if (value === n) return code;
  return `E${n}`;
}

export function pvError(code: string, message: string): PvError {
  return new PvError(code, message);
}

/** Rebuilds an error from the wire fields of a peer's reply. */
export function fromErrno(errno: number, message: string): PvError {
  return new PvError(codeOf(errno), message);
}

export function isErrnoLike(e: unknown): e is ErrnoLike {
  return e instanceof Error && typeof (e as Partial<ErrnoLike>).code === 'string' && typeof (e as Partial<ErrnoLike>).errno === 'number';
}

/** Normalises anything thrown into an errno-style error (EIO when the thrower gave no code). */
export function asErrno(e: unknown): ErrnoLike {
  if (isErrnoLike(e)) return e;
  if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string') {
    const code = (e as NodeJS.ErrnoException).code as string;
    return Object.assign(e, { code, errno: errnoOf(code) });
  }
  return new PvError('EIO', e instanceof Error ? e.message : String(e));
}
