// The frontend process's core: walks XenBus with the backend and, once connected, serves the KMS device as
// dri/cardN, announcing it on dri/uevent. When the backend goes away the device is unplugged at once (a zombie
// that lives until its last client closes) and the frontend keeps trying to reach the backend again; when it
// comes back a new node (card1, card2, … never a number still in use) serves beside the zombie.
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProtocolVersion } from '../protocol/displif/constants.js';
import type { ErrnoLike } from '../shared/errors.js';
import { asErrno } from '../shared/errors.js';
import { logger } from '../shared/log.js';
import { BusFront } from './bus-front.js';
import { connectChannel } from '../shared/channel.js';
import { connectRemote, type RemoteBackend } from './remote/connect.js';
import { LINK_STATUS } from '../protocol/kms/constants.js';
import type { BackendLink } from './backend-link.js';
import { KmsDevice } from './kms/device.js';
import { unplugDevice, type UnplugPolicy } from './kms/unplug.js';
import { DeviceNode } from './node.js';
import type { Limits } from './kms/budget.js';
import { UeventHub, type Uevent } from './uevent.js';

const log = logger('frontend');

/** How often a frontend without a backend tries the control socket again. */
const RECONNECT_MS = 100;
const REFUSED_RETRY_MS = 2000;
/** How a remote backend that is down or cut off looks (a refusal is anything else). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export interface FrontendOptions {
  runtimeDir: string;
  versions: readonly ProtocolVersion[];
  responseTimeoutMs: number;
  frameDoneTimeoutMs: number;
  fenceTimeoutMs: number;
  unplugPolicy: UnplugPolicy;
  /** What clients may make the device hold; DEFAULT_LIMITS unless a test or user narrows them. */
  limits: Limits;
  /** A backend on another host (no shared memory) instead of the runtime dir's backend.sock. */
  remote?: RemoteBackend;
}

export interface FrontendEvents {
  ready: [node: DeviceNode, device: KmsDevice];
  /** The device was lost with the backend (a zombie where one was served). */
  lost: [err: ErrnoLike, zombie: DeviceNode | undefined];
  /** No backend to serve with, and why; said again only when the reason changes. */
  waiting: [reason: string];
  /** A zombie's last client closed and everything it held is released. */
  freed: [name: string];
  /** The backend speaks no version this frontend does: retrying cannot help, so the frontend stops trying. */
  failed: [err: ErrnoLike];
}

export class Frontend extends EventEmitter<FrontendEvents> {
  private bus: BusFront | undefined;
  private node: DeviceNode | undefined;
  private readonly zombies = new Set<DeviceNode>();
  private uevents: UeventHub | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closing = false;
  device: KmsDevice | undefined;
  private link: BackendLink | undefined;
  readonly driDir: string;
  private nextCard = 0;
  private waitingFor: string | undefined;

  constructor(private readonly options: FrontendOptions) {
    super();
    this.driDir = join(options.runtimeDir, 'dri');
  }

  get protocolVersion(): number | undefined {
    return this.bus?.protocolVersion;
  }

  start(): void {
    mkdirSync(this.driDir, { recursive: true, mode: 0o700 });
    this.uevents = new UeventHub(this.driDir);
    this.connect();
  }

  private announce(ev: Uevent, node?: DeviceNode): void {
    this.uevents?.publish(ev);
    node?.broadcast({ uevent: { ...ev } });
  }

  private connect(): void {
    if (this.closing) return;
    let bus: BusFront;
    try {
      const ch = this.options.remote ? connectRemote(this.options.remote) : connectChannel(join(this.options.runtimeDir, 'backend.sock'));
      bus = new BusFront(ch, { versions: this.options.versions, responseTimeoutMs: this.options.responseTimeoutMs });
    } catch (e) {
      this.waiting(asErrno(e).code === 'ECONNREFUSED' ? 'nothing listens on backend.sock (a backend that died left it)' : asErrno(e).message);
      this.retry = setTimeout(() => this.connect(), RECONNECT_MS);
      return;
    }
    this.bus = bus;
    bus.on('connected', (link) => {
      const device = new KmsDevice(link, { frameDoneTimeoutMs: this.options.frameDoneTimeoutMs, fenceTimeoutMs: this.options.fenceTimeoutMs, limits: this.options.limits });
      const node = this.newNode(device);
      device.onHotplug = (connector) => this.announce({ action: 'change', devname: node.name, hotplug: 1, connector }, node);
      device.onStats = (index) => {
        const crtc = device.crtcs[index];
        const conn = device.connectors[index];
        if (crtc && conn) bus.publishStats(index, crtc.frameDoneTimeouts, conn.state.linkStatus === LINK_STATUS.BAD);
      };
      this.device = device;
      this.link = link;
      this.node = node;
      log.info(`serving ${node.path} (displif v${link.version}, ${link.connectors.length} connector(s))`);
      this.announce({ action: 'add', devname: node.name });
      this.waitingFor = undefined;
      this.emit('ready', node, device);
    });
    bus.on('hotplug', (index, connected, edidChanged) => {
      const { device, link } = this;
      if (!device || !link) return;
      if (!edidChanged) return device.hotplug(index, connected);
      bus
        .connectorConfig(link, index)
        .then((config) => device.hotplug(index, connected, config))
        .catch((e: unknown) => log.warn(`connector ${index}: re-probe failed: ${asErrno(e).message}`));
    });
    bus.on('lost', (err) => {
      const node = this.node;
      const device = this.device;
      this.node = undefined;
      this.device = undefined;
      if (node && device) {
        unplugDevice(device, this.options.unplugPolicy);
        this.zombies.add(node);
        node.onFreed = () => {
          this.zombies.delete(node);
          log.info(`${node.name}: last client gone, zombie freed`);
          this.emit('freed', node.name);
        };
        node.unplug();
        this.announce({ action: 'remove', devname: node.name }, node);
      }
      if (node) this.emit('lost', err, node);
      else if (err.code === 'EPROTONOSUPPORT') return this.emit('failed', err);
      else if (UNREACHABLE.has(err.code)) this.waiting(`cannot reach the backend: ${err.message}`);
      else this.waiting(`the backend refused this frontend: ${err.message}`);
      // A backend that refused us while connecting (bad config, past its limit) is not retried in a hot loop.
      if (!this.closing) this.retry = setTimeout(() => this.connect(), node ? RECONNECT_MS : REFUSED_RETRY_MS);
    });
    bus.start();
  }

  private waiting(reason: string): void {
    if (reason === this.waitingFor) return;
    this.waitingFor = reason;
    this.emit('waiting', reason);
  }

  /** The next free cardN: numbers are never reused by this frontend, and another frontend's live node is skipped. */
  private newNode(device: KmsDevice): DeviceNode {
    for (;;) {
      const name = `card${this.nextCard++}`;
      try {
        return new DeviceNode(this.driDir, name, device);
      } catch (e) {
        if (asErrno(e).code !== 'EADDRINUSE' || this.nextCard > 255) throw e;
      }
    }
  }

  close(): void {
    this.closing = true;
    clearTimeout(this.retry);
    this.node?.close();
    for (const z of this.zombies) z.close();
    this.bus?.close();
    this.uevents?.close();
  }
}
