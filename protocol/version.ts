// Protocol versions: the versions we offer, choosing the highest common one, and naming `feature-*` keys for
// extensions beyond Xen (negotiated in the store, never by changing a v1/v2 packet).
import { PROTOCOL_VERSIONS, type ProtocolVersion } from './displif/constants.js';
import { ProtocolError } from './errors.js';

/** Versions this implementation offers, lowest first (the backend publishes them as "1,2"). */
export const OFFERED_VERSIONS: readonly ProtocolVersion[] = PROTOCOL_VERSIONS;

export function isProtocolVersion(value: unknown): value is ProtocolVersion {
  return (PROTOCOL_VERSIONS as readonly unknown[]).includes(value);
}

/** Throws EINVAL unless `value` is a version the codecs know; returns it typed. */
export function assertProtocolVersion(value: number): ProtocolVersion {
  if (!isProtocolVersion(value)) throw new ProtocolError('EINVAL', `unsupported protocol version ${String(value)}`);
  return value;
}

/**
 * The highest version both lists contain that this implementation also speaks, or undefined when there is none.
 * (What to assume when a peer publishes no list at all, as Linux and displ_be do, is the caller's policy.)
 */
export function chooseVersion(
  backendVersions: readonly number[],
  frontendVersions: readonly number[] = OFFERED_VERSIONS,
): ProtocolVersion | undefined {
  let best: ProtocolVersion | undefined;
  for (const v of backendVersions) {
    if (isProtocolVersion(v) && frontendVersions.includes(v) && (best === undefined || v > best)) best = v;
  }
  return best;
}

const FEATURE_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Store key of a feature flag: featureKey('hotplug') === 'feature-hotplug'. Names are lower-case words joined by '-'. */
export function featureKey(name: string): string {
  if (!FEATURE_NAME.test(name)) throw new ProtocolError('EINVAL', `bad feature name "${name}"`);
  return `feature-${name}`;
}
