// Event channels: payload-free kicks between the two ends of a ring, one eventfd per direction. An eventfd counter
// coalesces kicks like Xen's pending bit: several notifies before the peer looks are seen as one, and a counter the
// peer let fill up means a kick is already pending. The fds are shared with the peer, which can break them (clear
// O_NONBLOCK, hand over something else): a side that installs onFailure() gets one callback instead of a throw.
import * as native from './native/index.js';
import { asErrno, pvError, type ErrnoLike } from './errors.js';

export class EventChannel {
  private watcher: native.Watcher | undefined;
  private failure: ((err: ErrnoLike) => void) | undefined;
  private failed = false;

  /**
   * @param port  the number the store names it by
   * @param rx    eventfd this side waits on
   * @param tx    eventfd this side kicks
   */
  constructor(
    readonly port: number,
    readonly rx: number,
    readonly tx: number,
  ) {}

  /** A fresh pair of eventfds: [to backend, to frontend]. The frontend allocates channels, as in Xen. */
  static allocate(port: number): EventChannel {
    const toBackend = native.eventfd(0);
    const toFrontend = native.eventfd(0);
    return new EventChannel(port, toFrontend, toBackend);
  }

  /**
   * The backend's view of the same pair handed over as [to backend, to frontend]. EINVAL unless both are eventfds
   * (a pipe or socket in their place could block, fail or feed garbage); the fds stay the caller's on a throw.
   */
  static bind(port: number, toBackend: number, toFrontend: number): EventChannel {
    for (const fd of [toBackend, toFrontend]) {
      if (!native.isEventfd(fd)) throw pvError('EINVAL', `event channel ${port}: fd is not an eventfd`);
    }
    return new EventChannel(port, toBackend, toFrontend);
  }

  /** Where a broken channel is reported (once, on a later tick); the channel then goes quiet. */
  onFailure(cb: (err: ErrnoLike) => void): void {
    this.failure = cb;
  }

  notify(): void {
    if (this.failed) return;
    try {
      native.eventfdWrite(this.tx, 1); // false: the counter is full, the peer has a kick pending already
    } catch (e) {
      this.fail(e);
    }
  }

  /** Calls `onKick` on the event loop whenever the peer notified; the counter is cleared first. */
  listen(onKick: () => void): void {
    this.watcher?.close();
    this.watcher = native.watch(this.rx, 'r', (err, readable) => {
      if (this.failed) return;
      if (err) return this.fail(err);
      if (!readable) return;
      try {
        native.eventfdRead(this.rx);
      } catch (e) {
        return this.fail(e);
      }
      onKick();
    });
  }

  private fail(e: unknown): void {
    const cb = this.failure;
    if (!cb) throw e;
    this.failed = true;
    this.watcher?.close();
    this.watcher = undefined;
    const err = asErrno(e);
    queueMicrotask(() => cb(pvError(err.code, `event channel ${this.port}: ${err.message}`)));
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    native.close(this.rx);
    native.close(this.tx);
  }
}
