// Control-channel messages between frontend and backend: the XenStore and XenBus part of Xen (store writes that
// each side mirrors, state changes are writes of `state`), plus the hand-over of what a hypervisor would share:
// memory segments (fd), grant refs naming their pages, and event channels (a pair of eventfds).
import { type Fields, str, uint, obj, FieldError } from '../fields.js';

export type StoreWrite = [path: string, value: string];

export type ControlMessage =
  /** frontend → backend, first message. */
  | { t: 'hello'; pid: number }
  /** backend → frontend: the domain ids and the store as the toolstack created it. */
  | { t: 'welcome'; domid: number; backendDomid: number; dev: number; store: Record<string, string> }
  /** a store write; the peer mirrors it and reacts as a XenStore watch would. */
  | { t: 'write'; path: string; value: string }
  /** writes applied atomically, like a XenStore transaction. */
  | { t: 'txn'; writes: StoreWrite[] }
  /** a shared-memory segment (one fd rides along) of `size` bytes, named `id` in later messages. */
  | { t: 'seg'; id: number; size: number }
  | { t: 'seg-close'; id: number }
  /** grant refs gref .. gref+count-1 name pages page .. page+count-1 of segment seg. */
  | { t: 'grant'; gref: number; seg: number; page: number; count: number }
  | { t: 'ungrant'; gref: number; count: number }
  /** an event channel: two fds ride along, [to backend, to frontend]. */
  | { t: 'evtchn'; port: number }
  | { t: 'evtchn-close'; port: number }
  /** barrier: the peer answers `synced` after it handled everything sent before. */
  | { t: 'sync'; n: number }
  | { t: 'synced'; n: number }
  /**
   * backend → frontend: a message of type `of` was refused with an errno (a resource limit, an fd that is not what
   * it claims, a range that does not exist) and had no effect; the peer stays connected. Malformed messages and
   * protocol violations disconnect instead.
   */
  | { t: 'refused'; of: string; code: string; errno: number; message: string };

/** How many fds each message carries. */
export function fdsOf(msg: ControlMessage): number {
  return msg.t === 'seg' ? 1 : msg.t === 'evtchn' ? 2 : 0;
}

const MAX_STORE_ENTRIES = 4096;

function storeMap(m: Fields): Record<string, string> {
  const raw = obj(m, 'store', 'EPROTO');
  const entries = Object.entries(raw);
  if (entries.length > MAX_STORE_ENTRIES) throw new FieldError('EPROTO', 71, 'store snapshot too large');
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw new FieldError('EPROTO', 71, `store value of ${k} is not a string`);
    out[k] = v;
  }
  return out;
}

function writes(m: Fields): StoreWrite[] {
  const raw = m.writes;
  if (!Array.isArray(raw) || raw.length > MAX_STORE_ENTRIES) throw new FieldError('EPROTO', 71, 'txn writes must be an array');
  return raw.map((w) => {
    if (!Array.isArray(w) || w.length !== 2 || typeof w[0] !== 'string' || typeof w[1] !== 'string') {
      throw new FieldError('EPROTO', 71, 'txn write must be [path, value]');
    }
    return [w[0], w[1]] as StoreWrite;
  });
}

/** Validates a decoded packet from the peer; throws EPROTO for anything malformed. */
export function parseControl(m: Fields): ControlMessage {
  const u = (k: string) => uint(m, k, 0xffffffff, 'EPROTO');
  const s = (k: string) => str(m, k, 4096, 'EPROTO');
  switch (m.t) {
    case 'hello':
      return { t: 'hello', pid: u('pid') };
    case 'welcome':
      return { t: 'welcome', domid: u('domid'), backendDomid: u('backendDomid'), dev: u('dev'), store: storeMap(m) };
    case 'write':
      return { t: 'write', path: s('path'), value: s('value') };
    case 'txn':
      return { t: 'txn', writes: writes(m) };
    case 'seg':
      return { t: 'seg', id: u('id'), size: uint(m, 'size', Number.MAX_SAFE_INTEGER, 'EPROTO') };
    case 'seg-close':
      return { t: 'seg-close', id: u('id') };
    case 'grant':
      return { t: 'grant', gref: u('gref'), seg: u('seg'), page: u('page'), count: u('count') };
    case 'ungrant':
      return { t: 'ungrant', gref: u('gref'), count: u('count') };
    case 'evtchn':
      return { t: 'evtchn', port: u('port') };
    case 'evtchn-close':
      return { t: 'evtchn-close', port: u('port') };
    case 'sync':
      return { t: 'sync', n: u('n') };
    case 'synced':
      return { t: 'synced', n: u('n') };
    case 'refused':
      return { t: 'refused', of: str(m, 'of', 32, 'EPROTO'), code: str(m, 'code', 32, 'EPROTO'), errno: u('errno'), message: s('message') };
    default:
      throw new FieldError('EPROTO', 71, `unknown control message ${JSON.stringify(m.t)}`);
  }
}
