// The connector-hotplug extension's store keys (beyond Xen, negotiated like any feature-* key): each side writes
// `feature-hotplug = 1` in its own directory; when both did, the backend reports each connector in its directory as
// `<i>/connected` ("1"/"0") and bumps `<i>/edid-generation` when the EDID (and with it, possibly, the mode) changed,
// also rewriting the toolstack's `<i>/resolution` for v1 peers. A peer without the feature never sees these keys.
import { featureKey } from '../version.js';

export const HOTPLUG_FEATURE = featureKey('hotplug');

export function connectedKey(index: number): string {
  return `${index}/connected`;
}

export function edidGenerationKey(index: number): string {
  return `${index}/edid-generation`;
}

/** Which connector a backend-directory key of this extension speaks of, and which key it is. */
export function parseHotplugKey(relative: string): { index: number; key: 'connected' | 'edid-generation' } | undefined {
  const m = /^(\d{1,3})\/(connected|edid-generation)$/.exec(relative);
  return m ? { index: Number(m[1]), key: m[2] as 'connected' | 'edid-generation' } : undefined;
}
