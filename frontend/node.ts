// The device node: `cardN`, a Unix SOCK_SEQPACKET socket in the device directory. One connection is one open
// file of the device; requests of a file run one at a time, in order, as ioctls on one fd would.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Channel, Listener } from '../shared/channel.js';
import * as native from '../shared/native/index.js';
import { logger } from '../shared/log.js';
import { asErrno } from '../shared/errors.js';
import type { KmsDevice } from './kms/device.js';
import type { DrmFile } from './kms/file.js';
import { isDetached, runIoctl } from './kms/ioctl.js';
import { closeFile } from './kms/close.js';

const log = logger('node');

/** Requests one file may have queued; past it a client that never waits for replies gets ENOBUFS. */
const MAX_QUEUED = 1024;

export class DeviceNode {
  readonly path: string;
  private readonly listener: Listener;
  private readonly channels = new Set<Channel>();
  /** Each connection's file: a file may opt out of uevent packets (PVD_EVENT_FD). */
  private readonly files = new WeakMap<Channel, DrmFile>();
  private unplugged = false;
  /** Called once an unplugged node's last connection has closed and its device has let go of everything. */
  onFreed: () => void = () => undefined;

  constructor(dir: string, readonly name: string, private readonly device: KmsDevice) {
    this.path = join(dir, name);
    // A client that does not read its replies stops being read (its requests wait in its own socket).
    this.listener = new Listener(this.path, (ch) => this.serve(ch), undefined, { pauseReads: true });
    chmodSync(this.path, 0o600);
  }

  private serve(ch: Channel): void {
    this.channels.add(ch);
    const file = this.device.open((record, onSent) => ch.post({ ev: Buffer.from(record.buffer, record.byteOffset, record.byteLength) }, [], onSent));
    this.files.set(ch, file);
    let chain: Promise<void> = Promise.resolve();
    let queued = 0;
    ch.on('message', (msg, fds) => {
      if (queued >= MAX_QUEUED) {
        for (const fd of fds) native.close(fd);
        const err = { errno: 105, code: 'ENOBUFS', message: `ENOBUFS: more than ${MAX_QUEUED} requests queued` };
        if (typeof msg.id === 'number') ch.post({ re: msg.id, err });
        return;
      }
      queued++;
      const run = async (): Promise<void> => {
        // Backpressure: answer no more while earlier replies wait for room in the client's socket.
        await ch.whenDrained();
        const reply = await runIoctl(this.device, file, msg, fds);
        queued--;
        if (!reply) return ch.close();
        try {
          ch.post(reply.packet as unknown as Record<string, unknown>, reply.fds);
        } finally {
          for (const fd of reply.owned) native.close(fd);
        }
      };
      // Nothing a request does may break the chain (the file's later requests) or escape as an unhandled rejection.
      const guarded = (): Promise<void> => run().catch((e: unknown) => ch.close(asErrno(e)));
      // A blocking vblank wait must not hold up the file's other requests (libdrm users wait in a thread).
      if (isDetached(msg)) void chain.then(guarded);
      else chain = chain.then(guarded);
    });
    ch.on('close', (err) => {
      if (err) log.debug(`client connection closed: ${err.message}`);
      this.channels.delete(ch);
      chain = chain.then(async () => {
        await closeFile(this.device, file).catch((e: unknown) => log.warn(`closing a file: ${asErrno(e).message}`));
        if (this.unplugged && this.channels.size === 0) this.onFreed();
      });
    });
  }

  /** Sends a packet to every open connection (uevents). */
  broadcast(packet: Record<string, unknown>): void {
    for (const ch of this.channels) if (this.files.get(ch)?.uevents !== false) ch.post(packet);
  }

  /**
   * The device was unplugged: the path goes at once (opening it fails), open connections stay until their
   * clients close them; the last close frees the zombie.
   */
  unplug(): void {
    this.unplugged = true;
    this.listener.close();
    if (this.channels.size === 0) queueMicrotask(() => this.onFreed());
  }

  close(): void {
    this.listener.close();
    for (const ch of this.channels) ch.close();
  }
}
