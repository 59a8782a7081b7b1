// Which shared pages are rings, as both ends of the remote transport learn it: the frontend's store writes of
// <i>/req-ring-ref, req-event-channel, evt-ring-ref and evt-event-channel (a toolstack's view of the store). A
// ring's pages are never mirrored as bytes: each end keeps the ring locally and relays its packets.
import { StoreField } from '../../protocol/displif/constants.js';
import { parseStoreUint } from '../../protocol/bus/store-keys.js';
import type { StoreWrite } from '../../protocol/bus/control.js';

export interface RingRefs {
  reqRef: number;
  reqPort: number;
  evtRef: number;
  evtPort: number;
}

const FIELDS: Record<string, keyof RingRefs> = {
  [StoreField.REQ_RING_REF]: 'reqRef',
  [StoreField.REQ_CHANNEL]: 'reqPort',
  [StoreField.EVT_RING_REF]: 'evtRef',
  [StoreField.EVT_CHANNEL]: 'evtPort',
};

export class RingKeys {
  private readonly seen = new Map<number, Partial<RingRefs>>();

  constructor(private readonly feDir: string) {}

  /** Takes store writes; returns the connectors whose four keys are all known and one of them changed. */
  apply(writes: readonly StoreWrite[]): [index: number, refs: RingRefs][] {
    const changed = new Set<number>();
    for (const [path, value] of writes) {
      if (!path.startsWith(`${this.feDir}/`)) continue;
      const m = /^(\d{1,3})\/([a-z-]+)$/.exec(path.slice(this.feDir.length + 1));
      const field = m && FIELDS[m[2]!];
      if (!m || !field) continue;
      let n: number;
      try {
        n = parseStoreUint(value, field);
      } catch {
        continue; // the peer refuses it; nothing to relay
      }
      const index = Number(m[1]);
      const refs = this.seen.get(index) ?? {};
      if (refs[field] === n) continue;
      refs[field] = n;
      this.seen.set(index, refs);
      changed.add(index);
    }
    const out: [number, RingRefs][] = [];
    for (const i of changed) {
      const r = this.seen.get(i)!;
      if (r.reqRef !== undefined && r.reqPort !== undefined && r.evtRef !== undefined && r.evtPort !== undefined) out.push([i, r as RingRefs]);
    }
    return out;
  }
}
