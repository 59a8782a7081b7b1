// Where a file's event records go. By default each record rides its connection as an `{ev}` packet; after
// PVD_EVENT_FD they go as raw 32-byte packets, one per record, on a socket the client handed over (the LD_PRELOAD
// interposer keeps the other end as the fd the program polls and reads). Records wait here while that socket is
// full, still counted against the file's 4096-byte event budget, which they give back once written.
import * as native from '../../shared/native/index.js';
import { pvError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import type { DrmFile } from './file.js';

const log = logger('events');

export interface EventOut {
  /** Sends a record; `left` is called once it has left (its budget is free again), or will never be sent. */
  push(record: Uint8Array, left: () => void): void;
  /** No more records: `drain` writes what is queued first (unplug), otherwise the queue is dropped (file closed). */
  end(drain: boolean): void;
}

interface Pending {
  record: Uint8Array;
  left: () => void;
}

/** Raw records on a client's socket: written without ever blocking, in order; closed (EOF) at the end. */
export class EventSink implements EventOut {
  private readonly queue: Pending[] = [];
  private watcher: native.Watcher | null = null;
  private ending = false;
  private closed = false;

  constructor(private readonly fd: number) {}

  push(record: Uint8Array, left: () => void): void {
    if (this.closed || this.ending) return left();
    this.queue.push({ record, left });
    this.flush();
  }

  end(drain: boolean): void {
    this.ending = true;
    if (!drain) this.drop();
    this.flush();
  }

  /** Writes until the socket is full (then waits for it to be writable) or the queue is empty. */
  private flush(): void {
    while (!this.closed && this.queue.length > 0) {
      const head = this.queue[0]!;
      let sent: boolean;
      try {
        sent = native.send(this.fd, head.record, []);
      } catch (e) {
        // The reader is gone (EPIPE) or the fd is no socket: nobody will ever read these records.
        log.debug(`event sink: ${(e as Error).message}`);
        this.drop();
        return this.close();
      }
      if (!sent) return this.watch();
      this.queue.shift();
      head.left();
    }
    this.unwatch();
    if (this.ending) this.close();
  }

  private watch(): void {
    this.watcher ??= native.watch(this.fd, 'w', (err, _r, writable) => {
      if (err) {
        this.drop();
        return this.close();
      }
      if (writable) this.flush();
    });
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  private drop(): void {
    for (const p of this.queue.splice(0)) p.left();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch();
    native.close(this.fd);
  }
}

/** PVD_EVENT_FD: the file's events go to `fd` from now on; with `uevents` false, uevent packets stop too. */
export function openEventSink(file: DrmFile, uevents: boolean, fd: number | undefined): Record<string, never> {
  if (fd === undefined) throw pvError('EINVAL', 'PVD_EVENT_FD needs one fd riding along (a socket end)');
  try {
    native.peerCred(fd); // fails (ENOTSOCK, EINVAL...) unless fd is a Unix socket
    file.redirectEvents(new EventSink(fd));
  } catch (e) {
    native.close(fd);
    const err = e as { code?: string; message: string };
    throw err.code === 'EBUSY' ? e : pvError('EINVAL', `the event fd is not a Unix socket: ${err.message}`);
  }
  file.uevents = uevents;
  return {};
}
