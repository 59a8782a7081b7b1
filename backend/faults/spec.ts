// The faults an admin client can inject, as typed specs, and their parsing from untrusted JSON: every field is
// checked and named in an EINVAL, opcodes and errnos are accepted by name (DBUF_CREATE, ENOMEM) or number.
import { Op } from '../../protocol/displif/constants.js';
import { type Fields, maybeUint, uint, optUint } from '../../protocol/fields.js';
import { codeOf, knownErrno, pvError } from '../../shared/errors.js';

/** Which frontend and connector a fault applies to; absent fields match any. */
export interface FaultTarget {
  domid?: number;
  connector?: number;
}

/** Faults that stay armed and act on traffic: each fires `count` times (undefined: until cleared). */
export type ArmedFaultSpec =
  | (FaultTarget & { kind: 'drop-frame-done'; count?: number })
  | (FaultTarget & { kind: 'delay-frame-done'; ms: number; count?: number })
  | (FaultTarget & { kind: 'errno'; op: number; errno: number; count?: number });

/** Faults that act once, at once, on a frontend (the latest one when no domid is given). */
export type ActionFaultSpec =
  | { kind: 'disconnect' | 'connect'; domid?: number; connector: number }
  | { kind: 'close' | 'die' | 'resume'; domid?: number }
  | { kind: 'stall'; domid?: number; ms?: number }
  | { kind: 'clear' };

export type FaultSpec = ArmedFaultSpec | ActionFaultSpec;

export const FAULT_KINDS = ['drop-frame-done', 'delay-frame-done', 'errno', 'disconnect', 'connect', 'close', 'die', 'stall', 'resume', 'clear'] as const;

const MAX_DELAY_MS = 600_000;

/** An opcode by name (DBUF_CREATE) or number (0x10..0xff). */
function opcode(req: Fields): number {
  const v = req.op;
  if (typeof v === 'string') {
    const op = (Op as Record<string, number>)[v.toUpperCase()];
    if (op === undefined) throw pvError('EINVAL', `field 'op' must name an opcode (${Object.keys(Op).join(', ')}), got ${JSON.stringify(v)}`);
    return op;
  }
  return uint(req, 'op', 0xff);
}

/** An errno by name (ENOMEM) or positive number. */
function errno(req: Fields): number {
  const v = req.errno;
  if (typeof v === 'string') {
    const n = knownErrno(v.toUpperCase());
    if (n === undefined) throw pvError('EINVAL', `field 'errno' must be an errno name such as ENOMEM, got ${JSON.stringify(v)}`);
    return n;
  }
  const n = uint(req, 'errno', 4095);
  if (n === 0) throw pvError('EINVAL', "field 'errno' must not be 0 (that is success)");
  return n;
}

export function parseFault(req: Fields): FaultSpec {
  const target: FaultTarget = { domid: maybeUint(req, 'domid', 0xffff), connector: maybeUint(req, 'connector', 255) };
  const count = maybeUint(req, 'count', Number.MAX_SAFE_INTEGER);
  switch (req.kind) {
    case 'drop-frame-done':
      return { kind: 'drop-frame-done', ...target, count };
    case 'delay-frame-done':
      return { kind: 'delay-frame-done', ...target, ms: uint(req, 'ms', MAX_DELAY_MS), count };
    case 'errno':
      return { kind: 'errno', ...target, op: opcode(req), errno: errno(req), count: count ?? 1 };
    case 'disconnect':
    case 'connect':
      return { kind: req.kind, domid: target.domid, connector: optUint(req, 'connector', 0, 255) };
    case 'close':
    case 'die':
    case 'resume':
      return { kind: req.kind, domid: target.domid };
    case 'stall':
      return { kind: 'stall', domid: target.domid, ms: maybeUint(req, 'ms', MAX_DELAY_MS) };
    case 'clear':
      return { kind: 'clear' };
    default:
      throw pvError('EINVAL', `unknown fault kind ${JSON.stringify(req.kind)}; known: ${FAULT_KINDS.join(', ')}`);
  }
}

/** A one-line description for listings and logs. */
export function describeFault(f: ArmedFaultSpec): string {
  const where = `${f.domid === undefined ? 'any domain' : `domain ${f.domid}`}, ${f.connector === undefined ? 'any connector' : `connector ${f.connector}`}`;
  const what =
    f.kind === 'drop-frame-done'
      ? 'drop frame-done events'
      : f.kind === 'delay-frame-done'
        ? `delay frame-done events by ${f.ms} ms`
        : `answer op 0x${f.op.toString(16)} with ${codeOf(f.errno)}`;
  return `${what} (${where})`;
}
