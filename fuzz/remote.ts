// Attack surface 4, the remote transport: hostile token holders on the backend's ws:// listener (and, now and
// then, peers without the token, which must get 401). Each link says hello and, on half of them, sets up a ring
// on connector 0 as a frontend would (a segment, its grants, two event channels, the ring keys, Initialised);
// then it sends control messages and the remote-only ones (ring packets, `data` for segments), valid or mutated,
// text and undecodable frames. Every message is followed by a sync, and the next one waits for its answer (or
// the link's close), so inputs go deep instead of dying behind the first protocol violation.
import msgpack from 'msgpack-lite';
import { deflateRawSync } from 'node:zlib';
import WebSocket from 'ws';
import type { Prng } from './prng.js';
import { describe, hostileNumber, mutate, type Fields, type Value } from './values.js';
import type { Surface } from './surface.js';

const MAX_LINKS = 3;
/** How long a sync may take before the link counts as stuck (the runner's probe decides about hangs). */
const SYNC_WAIT_MS = 5000;

export interface RemoteTarget {
  url: string;
  token: string;
}

function ringKeys(dir: string): Value[] {
  return [[`${dir}/0/req-ring-ref`, '1'], [`${dir}/0/req-event-channel`, '1'], [`${dir}/0/evt-ring-ref`, '2'], [`${dir}/0/evt-event-channel`, '2'], [`${dir}/version`, '2']];
}

/** What a frontend sends to set up connector 0's ring, given its store directory. */
export function ringSetup(dir: string): Fields[] {
  return [{ t: 'seg', id: 1, size: 8192 }, { t: 'grant', gref: 1, seg: 1, page: 0, count: 2 }, { t: 'evtchn', port: 1 }, { t: 'evtchn', port: 2 }, { t: 'txn', writes: ringKeys(dir) }, { t: 'write', path: `${dir}/state`, value: '3' }];
}

/** A well-formed remote message of a random type, with fields at the edges (ring requests on port 1 mostly). */
export function remoteTemplate(r: Prng, dir: string): Fields {
  const n = () => (r.chance(0.7) ? r.range(0, 8) : hostileNumber(r));
  switch (r.int(10)) {
    case 0:
      return { t: 'seg', id: n(), size: r.pick([4096, 8192, 4095, 0, 2 ** 40]) };
    case 1:
      return { t: 'grant', gref: n(), seg: n(), page: n(), count: n() };
    case 2:
      return { t: r.pick(['ungrant', 'seg-close', 'evtchn', 'evtchn-close']), gref: n(), count: n(), id: n(), port: n() };
    case 3:
      return { t: 'txn', writes: ringKeys(dir) };
    case 4:
      return { t: 'write', path: `${dir}/state`, value: r.pick(['1', '3', '4', '5', '6', 'x']) };
    case 5:
    case 6: {
      const pkt = r.chance(0.3) ? r.bytes(64) : Buffer.alloc(64);
      pkt[2] = r.int(8);
      return { t: 'req', port: r.chance(0.8) ? 1 : n(), pkt };
    }
    case 7:
      return { t: 'data', seg: n(), spans: [r.int(9000), r.range(1, 5000)], z: r.chance(0.5) ? deflateRawSync(r.bytes(r.int(5000))) : r.bytes(64) };
    case 8:
      return { t: r.pick(['rsp', 'evt', 'welcome', 'synced', 'refused']), port: n(), pkt: r.bytes(64), n: n() };
    default:
      return { t: 'sync', n: n() };
  }
}

/** One link to the backend with the token; counts what the backend answered. */
export class RemoteLink {
  readonly ws: WebSocket;
  readonly closed: Promise<void>;
  /** The frontend's store directory once welcomed ('' if the link closed first). */
  readonly dir: Promise<string>;
  handled = 0;
  private synced: () => void = () => undefined;
  private responded: () => void = () => undefined;

  /** `syncWaitMs` null: a sync is awaited until answered or the link closes (tests, whose timeout bounds it). */
  constructor(
    target: RemoteTarget,
    private readonly syncWaitMs: number | null = SYNC_WAIT_MS,
  ) {
    this.ws = new WebSocket(target.url, { headers: { authorization: `Bearer ${target.token}` } });
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.ws.on('close', () => resolve()));
    let welcomed: (dir: string) => void = () => undefined;
    this.dir = Promise.race([new Promise<string>((resolve) => (welcomed = resolve)), this.closed.then(() => '')]);
    this.ws.on('message', (data: Buffer) => {
      let m: { t?: unknown; domid?: unknown };
      try {
        m = msgpack.decode(data) as typeof m;
      } catch {
        return;
      }
      if (m.t === 'welcome') welcomed(`/local/domain/${String(m.domid)}/device/vdispl/0`);
      else if (m.t === 'synced') this.synced();
      else if (m.t === 'rsp') this.responded();
    });
    this.ws.on('open', () => this.ws.send(msgpack.encode({ t: 'hello', pid: 1 })));
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends one frame and a sync; true once the backend answered the sync, false if the link closed (or stuck). */
  async send(frame: Buffer | string): Promise<boolean> {
    if (!this.open) return false;
    this.ws.send(frame);
    this.ws.send(msgpack.encode({ t: 'sync', n: 1 }));
    let timer: NodeJS.Timeout | undefined;
    const wait = this.syncWaitMs;
    const stuck = wait === null ? [] : [new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), wait)))];
    const ok = await Promise.race([new Promise<boolean>((resolve) => (this.synced = () => resolve(true))), this.closed.then(() => false), ...stuck]);
    clearTimeout(timer);
    if (ok) this.handled++;
    return ok;
  }

  /** Resolves true at the next ring response (they come after the sync: the ring server answers on its own turn), false if the link closes first. */
  nextResponse(): Promise<boolean> {
    return Promise.race([new Promise<boolean>((resolve) => (this.responded = () => resolve(true))), this.closed.then(() => false)]);
  }

  async close(): Promise<void> {
    this.ws.terminate();
    await this.closed;
  }
}

export class RemoteSurface implements Surface {
  readonly name = 'remote';
  readonly targets = ['backend'];
  private readonly links: { link: RemoteLink; dir: string }[] = [];

  constructor(
    private readonly r: Prng,
    private readonly target: RemoteTarget,
  ) {}

  async step(): Promise<string> {
    const r = this.r;
    for (const l of [...this.links]) if (!l.link.open) this.links.splice(this.links.indexOf(l), 1);
    if (r.chance(0.02)) return this.withoutToken();
    if (this.links.length < MAX_LINKS && (this.links.length === 0 || r.chance(0.05))) return this.openLink();
    const l = r.pick(this.links);
    if (r.chance(0.02)) {
      await l.link.close();
      return 'close a link abruptly';
    }
    const roll = r.int(100);
    const frame = roll < 3 ? r.string(r.int(50)) : roll < 6 ? r.bytes(r.pick([0, 1, 9, 300])) : roll < 7 ? Buffer.alloc(3 * 1024 * 1024) : undefined;
    if (frame !== undefined) {
      const ok = await l.link.send(frame);
      return `${typeof frame === 'string' ? 'text' : 'binary'} frame of ${frame.length}: ${ok ? 'handled' : 'closed'}`;
    }
    const t = remoteTemplate(r, l.dir);
    const msg = r.chance(0.3) ? mutate(r, t) : t;
    return `${describe(msg)}: ${(await l.link.send(msgpack.encode(msg))) ? 'handled' : 'closed'}`;
  }

  private async openLink(): Promise<string> {
    const link = new RemoteLink(this.target);
    const dir = await link.dir;
    if (!dir) return 'open a link: closed before the welcome';
    this.links.push({ link, dir });
    if (!this.r.chance(0.5)) return 'open a link';
    for (const m of ringSetup(dir)) await link.send(msgpack.encode(m));
    return 'open a link and set up a ring';
  }

  private async withoutToken(): Promise<string> {
    const status = await new Promise<number | 'open'>((resolve) => {
      const ws = new WebSocket(this.target.url, this.r.chance(0.5) ? { headers: { authorization: `Bearer ${this.r.string(20)}` } } : {});
      ws.on('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      ws.on('open', () => {
        resolve('open');
        ws.terminate();
      });
      ws.on('error', () => resolve(0));
    });
    if (status === 'open') throw new Error('a link without the token was let in');
    return `a link without the token: ${status}`;
  }

  async probe(): Promise<void> {
    const link = new RemoteLink(this.target);
    try {
      if (!(await link.dir)) throw new Error('the backend did not welcome a remote frontend');
      if (!(await link.send(msgpack.encode({ t: 'sync', n: 2 })))) throw new Error('the backend did not answer a sync');
    } finally {
      await link.close();
    }
  }

  async endBatch(): Promise<void> {
    for (const l of this.links.splice(0)) await l.link.close();
  }
}
