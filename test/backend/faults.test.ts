// Fault specs from untrusted JSON and the plan the rings consult: names and numbers are accepted, anything else is
// a clear EINVAL; armed faults fire in order on matching rings only, and disarm when their count runs out.
import { describe, expect, it } from 'vitest';
import { Op } from '../../protocol/displif/constants.js';
import { FaultPlan } from '../../backend/faults/plan.js';
import { parseFault, type ArmedFaultSpec } from '../../backend/faults/spec.js';

describe('parseFault', () => {
  it('takes opcodes and errnos by name or number', () => {
    expect(parseFault({ kind: 'errno', op: 'dbuf_create', errno: 'ENOMEM' })).toMatchObject({ kind: 'errno', op: Op.DBUF_CREATE, errno: 12, count: 1 });
    expect(parseFault({ kind: 'errno', op: 0x15, errno: 5, count: 3, connector: 1 })).toMatchObject({ op: Op.PG_FLIP, errno: 5, count: 3, connector: 1 });
    expect(parseFault({ kind: 'delay-frame-done', ms: 40 })).toEqual({ kind: 'delay-frame-done', ms: 40, domid: undefined, connector: undefined, count: undefined });
    expect(parseFault({ kind: 'disconnect' })).toEqual({ kind: 'disconnect', domid: undefined, connector: 0 });
    expect(parseFault({ kind: 'stall', ms: 10, domid: 2 })).toEqual({ kind: 'stall', domid: 2, ms: 10 });
  });

  it.each([
    [{ kind: 'explode' }, /unknown fault kind "explode"; known: drop-frame-done/],
    [{ kind: 'errno', op: 'NOPE', errno: 'ENOMEM' }, /field 'op' must name an opcode \(DBUF_CREATE/],
    [{ kind: 'errno', op: 'PG_FLIP', errno: 'EFOO' }, /field 'errno' must be an errno name/],
    [{ kind: 'errno', op: 'PG_FLIP', errno: 0 }, /must not be 0/],
    [{ kind: 'delay-frame-done' }, /field 'ms' must be an integer/],
    [{ kind: 'drop-frame-done', connector: -1 }, /field 'connector'/],
    [{ kind: 'drop-frame-done', count: 'x' }, /field 'count'/],
  ])('%j is EINVAL', (req, message) => {
    expect(() => parseFault(req)).toThrow(expect.objectContaining({ code: 'EINVAL', errno: 22, message: expect.stringMatching(message) }));
  });
});

describe('FaultPlan', () => {
  const arm = (plan: FaultPlan, spec: Record<string, unknown>) => plan.arm(parseFault(spec) as ArmedFaultSpec);

  it('an errno fault fires count times on its opcode only, then disarms', () => {
    const plan = new FaultPlan();
    arm(plan, { kind: 'errno', op: 'DBUF_CREATE', errno: 'ENOMEM', count: 2 });
    const ring = plan.forRing(1, 0);
    expect(ring.errnoFor(Op.FB_ATTACH)).toBeUndefined();
    expect(ring.errnoFor(Op.DBUF_CREATE)).toBe(12);
    expect(plan.list()[0]).toMatchObject({ fired: 1, description: 'answer op 0x10 with ENOMEM (any domain, any connector)' });
    expect(ring.errnoFor(Op.DBUF_CREATE)).toBe(12);
    expect(ring.errnoFor(Op.DBUF_CREATE)).toBeUndefined();
    expect(plan.list()).toEqual([]);
  });

  it('frame-done faults match their domain and connector, in the order armed, until cleared', () => {
    const plan = new FaultPlan();
    arm(plan, { kind: 'drop-frame-done', connector: 1, count: 1 });
    arm(plan, { kind: 'delay-frame-done', ms: 30, domid: 2 });
    expect(plan.forRing(1, 0).frameDone()).toBeUndefined();
    expect(plan.forRing(2, 1).frameDone()).toEqual({ action: 'drop' });
    expect(plan.forRing(2, 1).frameDone()).toEqual({ action: 'delay', ms: 30 });
    expect(plan.forRing(2, 0).frameDone()).toEqual({ action: 'delay', ms: 30 });
    expect(plan.forRing(2, 0).errnoFor(Op.PG_FLIP)).toBeUndefined();
    expect(plan.clear()).toBe(1);
    expect(plan.forRing(2, 0).frameDone()).toBeUndefined();
  });
});
