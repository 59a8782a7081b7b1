// The frontend process's core: walks XenBus with the backend and, once connected, serves the KMS device as
// dri/cardN. When the backend goes away the node is removed at once.
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProtocolVersion } from '../protocol/displif/constants.js';
import type { ErrnoLike } from '../shared/errors.js';
import { logger } from '../shared/log.js';
import { BusFront } from './bus-front.js';
import { KmsDevice } from './kms/device.js';
import { DeviceNode } from './node.js';

const log = logger('frontend');

export interface FrontendOptions {
  runtimeDir: string;
  versions: readonly ProtocolVersion[];
  responseTimeoutMs: number;
  frameDoneTimeoutMs: number;
  fenceTimeoutMs: number;
}

export interface FrontendEvents {
  ready: [node: DeviceNode, device: KmsDevice];
  lost: [err: ErrnoLike];
}

export class Frontend extends EventEmitter<FrontendEvents> {
  private bus: BusFront | undefined;
  private node: DeviceNode | undefined;
  device: KmsDevice | undefined;
  readonly driDir: string;
  private nextCard = 0;

  constructor(private readonly options: FrontendOptions) {
    super();
    this.driDir = join(options.runtimeDir, 'dri');
  }

  get protocolVersion(): number | undefined {
    return this.bus?.protocolVersion;
  }

  start(): void {
    mkdirSync(this.driDir, { recursive: true, mode: 0o700 });
    const bus = new BusFront(join(this.options.runtimeDir, 'backend.sock'), {
      versions: this.options.versions,
      responseTimeoutMs: this.options.responseTimeoutMs,
    });
    this.bus = bus;
    bus.on('connected', (link) => {
      const device = new KmsDevice(link, { frameDoneTimeoutMs: this.options.frameDoneTimeoutMs, fenceTimeoutMs: this.options.fenceTimeoutMs });
      this.device = device;
      this.node = new DeviceNode(this.driDir, `card${this.nextCard++}`, device);
      log.info(`serving ${this.node.path} (displif v${link.version}, ${link.connectors.length} connector(s))`);
      this.emit('ready', this.node, device);
    });
    bus.on('lost', (err) => {
      this.node?.close();
      this.node = undefined;
      this.emit('lost', err);
    });
  }

  close(): void {
    this.node?.close();
    this.bus?.close();
  }
}
