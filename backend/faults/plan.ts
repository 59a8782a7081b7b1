// The armed faults of a backend: counted faults that act on ring traffic (errno answers, dropped or delayed
// frame-done events). Every ring consults the plan through its own RingFaults view; a fault fires on the first
// matching request or event, in the order faults were armed, and disarms itself when its count runs out.
import type { FrameDoneFault, RingFaults } from '../display/ring-server.js';
import { describeFault, type ArmedFaultSpec } from './spec.js';

export interface ArmedFault {
  id: number;
  spec: ArmedFaultSpec;
  /** How many times it acted so far. */
  fired: number;
  description: string;
}

export class FaultPlan {
  private readonly armed: ArmedFault[] = [];
  private nextId = 1;

  arm(spec: ArmedFaultSpec): ArmedFault {
    const fault = { id: this.nextId++, spec, fired: 0, description: describeFault(spec) };
    this.armed.push(fault);
    return fault;
  }

  list(): ArmedFault[] {
    return [...this.armed];
  }

  /** Disarms everything; returns how many faults were armed. */
  clear(): number {
    return this.armed.splice(0).length;
  }

  forRing(domid: number, connector: number): RingFaults {
    return {
      errnoFor: (operation) => {
        const f = this.take(domid, connector, (s) => s.kind === 'errno' && s.op === operation);
        return f?.kind === 'errno' ? f.errno : undefined;
      },
      frameDone: (): FrameDoneFault | undefined => {
        const f = this.take(domid, connector, (s) => s.kind !== 'errno');
        if (f?.kind === 'drop-frame-done') return { action: 'drop' };
        if (f?.kind === 'delay-frame-done') return { action: 'delay', ms: f.ms };
        return undefined;
      },
    };
  }

  /** The first armed fault for this ring that `match` accepts, counted as fired. */
  private take(domid: number, connector: number, match: (s: ArmedFaultSpec) => boolean): ArmedFaultSpec | undefined {
    const i = this.armed.findIndex(
      ({ spec: s }) => (s.domid === undefined || s.domid === domid) && (s.connector === undefined || s.connector === connector) && match(s),
    );
    if (i < 0) return undefined;
    const fault = this.armed[i]!;
    fault.fired++;
    if (fault.spec.count !== undefined && fault.fired >= fault.spec.count) this.armed.splice(i, 1);
    return fault.spec;
  }
}
