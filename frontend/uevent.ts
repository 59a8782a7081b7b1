// The `uevent` socket beside the device nodes: like udev's netlink feed, every subscriber (a connection to
// dri/uevent) gets device add / remove / change announcements, hotplug ones naming the connector. The same
// announcements for a device also reach its open clients on their connections (`{uevent: ...}` packets).
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Channel, Listener } from '../shared/channel.js';
import * as native from '../shared/native/index.js';

export interface Uevent {
  action: 'add' | 'remove' | 'change';
  devname: string;
  /** change events from connector probing carry HOTPLUG=1 and the connector's id. */
  hotplug?: 1;
  connector?: number;
}

export class UeventHub {
  readonly path: string;
  private readonly listener: Listener;
  private readonly subscribers = new Set<Channel>();
  sent = 0;

  constructor(dir: string) {
    this.path = join(dir, 'uevent');
    this.listener = new Listener(this.path, (ch) => {
      this.subscribers.add(ch);
      ch.on('message', (_m, fds) => fds.forEach((fd) => native.close(fd))); // subscribers only listen
      ch.on('close', () => this.subscribers.delete(ch));
    });
    chmodSync(this.path, 0o600);
  }

  publish(ev: Uevent): void {
    this.sent++;
    for (const ch of this.subscribers) if (ch.isOpen) ch.send({ uevent: { ...ev } });
  }

  close(): void {
    this.listener.close();
    for (const ch of this.subscribers) ch.close();
  }
}
