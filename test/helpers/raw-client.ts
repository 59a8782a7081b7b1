// A bare device-node client for tests: sends any msgpack map (or raw bytes) with any fds, reads replies only when
// asked, and notices EOF, so that tests can act as a hostile client that a well-behaved library never would.
import msgpack from 'msgpack-lite';
import * as native from '../../shared/native/index.js';

export interface RawReply {
  msg: Record<string, unknown>;
  fds: number[];
}

export class RawClient {
  readonly fd: number;
  private open = true;

  constructor(path: string) {
    this.fd = native.connect(path);
  }

  /** Sends one packet; false when the socket is full (the kernel's send buffer, never blocking). */
  send(msg: Record<string, unknown> | Uint8Array, fds: number[] = []): boolean {
    return native.send(this.fd, msg instanceof Uint8Array ? msg : msgpack.encode(msg), fds);
  }

  /**
   * The next packet, or null at EOF (the frontend closed this connection). Rejects after `timeoutMs`, a generous
   * "eventually" for a loaded machine.
   */
  next(timeoutMs = 10_000): Promise<RawReply | null> {
    return new Promise((resolve, reject) => {
      const done = (v: RawReply | null | Error): void => {
        clearTimeout(timer);
        w.close();
        if (v instanceof Error) reject(v);
        else resolve(v);
      };
      const timer = setTimeout(() => done(new Error(`no packet within ${timeoutMs} ms`)), timeoutMs);
      const w = native.watch(this.fd, 'r', (err) => {
        if (err) return done(null);
        let got: native.Received | null;
        try {
          got = native.recv(this.fd, 1 << 20);
        } catch {
          return done(null);
        }
        if (got === null) return;
        if (got.data.length === 0) return done(null);
        done({ msg: msgpack.decode(got.data) as Record<string, unknown>, fds: got.fds });
      });
    });
  }

  /** The reply to request `id`, skipping events and uevents (their fds closed); null at EOF. */
  async reply(id: number, timeoutMs?: number): Promise<RawReply | null> {
    for (;;) {
      const r = await this.next(timeoutMs);
      if (r === null || r.msg.re === id) return r;
      for (const fd of r.fds) native.close(fd);
    }
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    native.close(this.fd);
  }
}
