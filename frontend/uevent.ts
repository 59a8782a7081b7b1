// The `uevent` socket beside the device nodes: like udev's netlink feed, every subscriber (a connection to
// dri/uevent) gets device add / remove / change announcements, hotplug ones naming the connector. The first
// frontend in a runtime dir serves it; another frontend there connects to it and publishes through it (a
// connection's `{uevent}` packets are passed on to everyone else), so one socket carries all devices' events.
// The same announcements for a device also reach its open clients on their connections.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Channel, Listener, connectChannel, type Message } from '../shared/channel.js';
import { asErrno } from '../shared/errors.js';
import * as native from '../shared/native/index.js';

export interface Uevent {
  action: 'add' | 'remove' | 'change';
  devname: string;
  /** change events from connector probing carry HOTPLUG=1 and the connector's id. */
  hotplug?: 1;
  connector?: number;
}

function parseUevent(m: Message): Uevent | undefined {
  const u = m.uevent as Partial<Uevent> | undefined;
  if (!u || typeof u !== 'object' || !['add', 'remove', 'change'].includes(u.action as string)) return undefined;
  if (typeof u.devname !== 'string' || !/^card\d{1,3}$/.test(u.devname)) return undefined;
  const out: Uevent = { action: u.action as Uevent['action'], devname: u.devname };
  if (u.hotplug === 1) out.hotplug = 1;
  if (typeof u.connector === 'number' && Number.isInteger(u.connector) && u.connector >= 0) out.connector = u.connector;
  return out;
}

export class UeventHub {
  readonly path: string;
  private readonly listener: Listener | undefined;
  private readonly upstream: Channel | undefined;
  private readonly subscribers = new Set<Channel>();

  constructor(dir: string) {
    this.path = join(dir, 'uevent');
    try {
      this.listener = new Listener(this.path, (ch) => this.subscribe(ch));
      chmodSync(this.path, 0o600);
    } catch (e) {
      if (asErrno(e).code !== 'EADDRINUSE') throw e;
      this.upstream = connectChannel(this.path);
      this.upstream.on('message', (_m, fds) => fds.forEach((fd) => native.close(fd)));
    }
  }

  private subscribe(ch: Channel): void {
    this.subscribers.add(ch);
    ch.on('message', (m, fds) => {
      for (const fd of fds) native.close(fd);
      const ev = parseUevent(m);
      if (ev) this.broadcast(ev, ch);
    });
    ch.on('close', () => this.subscribers.delete(ch));
  }

  private broadcast(ev: Uevent, except?: Channel): void {
    for (const ch of this.subscribers) if (ch !== except && ch.isOpen) ch.send({ uevent: { ...ev } });
  }

  publish(ev: Uevent): void {
    if (this.upstream?.isOpen) this.upstream.send({ uevent: { ...ev } });
    else this.broadcast(ev);
  }

  close(): void {
    this.listener?.close();
    this.upstream?.close();
    for (const ch of this.subscribers) ch.close();
  }
}
