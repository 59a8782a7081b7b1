// A mirrored XenStore: each side of the control channel keeps a copy; a write is applied locally and sent, and the
// peer's writes arrive as change events, which is all a XenBus watch needs.
import { EventEmitter } from 'node:events';
import type { MessageChannel } from './message-channel.js';
import type { StoreWrite } from '../protocol/bus/control.js';

export interface StoreEvents {
  /** A write by the peer (never emitted for this side's own writes). */
  change: [path: string, value: string];
}

export class Store extends EventEmitter<StoreEvents> {
  private readonly data = new Map<string, string>();

  constructor(private readonly ch: MessageChannel) {
    super();
  }

  /** Nodes held. */
  get size(): number {
    return this.data.size;
  }

  read(path: string): string | undefined {
    return this.data.get(path);
  }

  write(path: string, value: string): void {
    this.data.set(path, value);
    this.ch.send({ t: 'write', path, value });
  }

  /** Several writes the peer applies at once, like a XenStore transaction. */
  transaction(writes: StoreWrite[]): void {
    for (const [p, v] of writes) this.data.set(p, v);
    this.ch.send({ t: 'txn', writes });
  }

  /** Fills the mirror without telling the peer (the snapshot it sent, or what this side created). */
  load(entries: Record<string, string>): void {
    for (const [p, v] of Object.entries(entries)) this.data.set(p, v);
  }

  snapshot(): Record<string, string> {
    return Object.fromEntries(this.data);
  }

  /** Applies the peer's writes, then tells listeners, so that every watcher sees the whole transaction. */
  applyRemote(writes: StoreWrite[]): void {
    for (const [p, v] of writes) this.data.set(p, v);
    for (const [p, v] of writes) this.emit('change', p, v);
  }
}
