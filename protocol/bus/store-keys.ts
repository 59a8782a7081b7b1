// XenStore paths and values for vdispl: the frontend and backend directories, per-connector keys, and the value
// formats (decimal uint32, "<W>x<H>" resolutions, the "1,2" versions list, be-alloc as Linux reads it).
// Strict parsers throw ProtocolError 'EINVAL' naming the bad value.
import { DRIVER_NAME, LIST_SEPARATOR, RESOLUTION_SEPARATOR, type ConnectorField } from '../displif/constants.js';
import { ProtocolError, checkIntRange, U8_MAX, U16_MAX, U32_MAX } from '../errors.js';

/** `/local/domain/<dom-id>/device/vdispl/<dev-id>` (dom-id and dev-id are uint16). */
export function frontendDir(domId: number, devId: number): string {
  checkIntRange('frontend domain id', domId, 0, U16_MAX);
  checkIntRange('device id', devId, 0, U16_MAX);
  return `/local/domain/${domId}/device/${DRIVER_NAME}/${devId}`;
}

/**
 * Where a frontend reports why it gave up on the device (Linux xenbus_dev_fatal: `error/<nodename>`, relative to
 * the domain's home, key `error`, value "<errno> <message>"): `/local/domain/<dom-id>/error/device/vdispl/<dev-id>/error`.
 */
export function frontendErrorNode(domId: number, devId: number): string {
  return frontendDir(domId, devId).replace(/\/device\//, '/error/device/') + '/error';
}

/** `/local/domain/<be-dom>/backend/vdispl/<fe-dom>/<dev-id>`. */
export function backendDir(backendDomId: number, frontendDomId: number, devId: number): string {
  checkIntRange('backend domain id', backendDomId, 0, U16_MAX);
  checkIntRange('frontend domain id', frontendDomId, 0, U16_MAX);
  checkIntRange('device id', devId, 0, U16_MAX);
  return `/local/domain/${backendDomId}/backend/${DRIVER_NAME}/${frontendDomId}/${devId}`;
}

/**
 * Extension keys (not in Xen) that a frontend may publish under its own `<conn-idx>/` so that the backend can show
 * what only the frontend knows: how many flips its frame-done timer released, and the connector's link-status
 * property by its enum name ("Good" or "Bad"). Purely informational: nothing is negotiated and a backend must not
 * rely on them.
 */
export const FrontendStatsField = {
  FRAME_DONE_TIMEOUTS: 'frame-done-timeouts',
  LINK_STATUS: 'link-status',
} as const;
export type FrontendStatsKey = (typeof FrontendStatsField)[keyof typeof FrontendStatsField];

/** A connector's key relative to the frontend directory: connectorKey(0, 'resolution') === '0/resolution'. */
export function connectorKey(connIdx: number, field: ConnectorField | FrontendStatsKey): string {
  checkIntRange('connector index', connIdx, 0, U8_MAX);
  return `${connIdx}/${field}`;
}

const DECIMAL = /^[0-9]+$/;

/** Strict decimal uint32 ("0".."4294967295", digits only): grant refs, event-channel ports, ids, states. */
export function parseStoreUint(value: string, what = 'value'): number {
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!(n <= U32_MAX)) throw new ProtocolError('EINVAL', `${what} "${value}" is not a decimal uint32`);
  return n;
}

export interface Resolution {
  width: number;
  height: number;
}

/** Parses "<W>x<H>" (uint32 each, nothing else allowed). Ranges (non-zero, Linux's 4095x2047) are the caller's. */
export function parseResolution(value: string): Resolution {
  const parts = value.split(RESOLUTION_SEPARATOR);
  if (parts.length !== 2) throw new ProtocolError('EINVAL', `resolution "${value}" is not <W>x<H>`);
  return { width: parseStoreUint(parts[0]!, 'resolution width'), height: parseStoreUint(parts[1]!, 'resolution height') };
}

export function formatResolution(r: Resolution): string {
  checkIntRange('width', r.width, 0, U32_MAX);
  checkIntRange('height', r.height, 0, U32_MAX);
  return `${r.width}${RESOLUTION_SEPARATOR}${r.height}`;
}

/** Parses the backend's `versions` list ("1,2"; an empty string is an empty list). Unknown versions are kept. */
export function parseVersions(value: string): number[] {
  if (value === '') return [];
  return value.split(LIST_SEPARATOR).map((v) => parseStoreUint(v, 'version'));
}

export function formatVersions(versions: readonly number[]): string {
  versions.forEach((v) => checkIntRange('version', v, 0, U32_MAX));
  return versions.join(LIST_SEPARATOR);
}

const KERNEL_SPACE = /[ \t\n\v\f\r]/;

/**
 * Reads a value the way Linux's xenbus_read_unsigned (sscanf "%u") does: leading white space skipped, then
 * decimal digits up to the first other character, truncated to 32 bits; `fallback` when the node is missing or
 * no digit follows (so "-1" and "+1" give the fallback, "1abc" gives 1, "4294967296" gives 0).
 */
export function readUnsignedLikeLinux(value: string | undefined, fallback = 0): number {
  if (value === undefined) return fallback;
  let i = 0;
  while (i < value.length && KERNEL_SPACE.test(value[i]!)) i++;
  let n = 0;
  const start = i;
  for (; i < value.length && value[i]! >= '0' && value[i]! <= '9'; i++) n = (n * 10 + (value.charCodeAt(i) - 48)) % 2 ** 32;
  return i === start ? fallback : n;
}

/** `be-alloc` as Linux reads it: an unsigned number, default 0, and any non-zero value means the backend allocates. */
export function parseBeAlloc(value: string | undefined): boolean {
  return readUnsignedLikeLinux(value, 0) !== 0;
}
