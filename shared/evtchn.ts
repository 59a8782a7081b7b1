// Event channels: payload-free kicks between the two ends of a ring, one eventfd per direction. An eventfd counter
// coalesces kicks like Xen's pending bit: several notifies before the peer looks are seen as one.
import * as native from './native/index.js';

export class EventChannel {
  private watcher: native.Watcher | undefined;

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

  /** The backend's view of the same pair handed over as [to backend, to frontend]. */
  static bind(port: number, toBackend: number, toFrontend: number): EventChannel {
    return new EventChannel(port, toBackend, toFrontend);
  }

  notify(): void {
    native.eventfdWrite(this.tx, 1);
  }

  /** Calls `onKick` on the event loop whenever the peer notified; the counter is cleared first. */
  listen(onKick: () => void): void {
    this.watcher?.close();
    this.watcher = native.watch(this.rx, 'r', (err, readable) => {
      if (err || !readable) return;
      native.eventfdRead(this.rx);
      onKick();
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    native.close(this.rx);
    native.close(this.tx);
  }
}
