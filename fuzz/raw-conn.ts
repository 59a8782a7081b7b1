// A raw SOCK_SEQPACKET connection for hostile peers: sends any bytes with any fds, reads replies only when asked
// (a peer that never reads is one of the inputs), and never throws for what the other side does (a reset or a
// close just marks it dead). Fds that arrive with replies are closed at once.
import msgpack from 'msgpack-lite';
import * as native from '../shared/native/index.js';
import { closeQuietly } from './fds.js';

export class RawConn {
  private fd: number;
  dead = false;
  replies = 0;

  constructor(path: string) {
    this.fd = native.connect(path);
  }

  /** Sends one packet; false when it could not go (socket full or dead). */
  sendBytes(data: Uint8Array, fds: number[] = []): boolean {
    if (this.dead) return false;
    try {
      return native.send(this.fd, data, fds);
    } catch {
      this.dead = true;
      return false;
    }
  }

  send(value: unknown, fds: number[] = []): boolean {
    return this.sendBytes(msgpack.encode(value), fds);
  }

  /** Reads what has arrived (at most `max` packets); returns the decoded maps, or undefined for each undecodable one. */
  drain(max = 256): unknown[] {
    const out: unknown[] = [];
    for (let n = 0; n < max && !this.dead; n++) {
      let got: native.Received | null;
      try {
        got = native.recv(this.fd, 512 * 1024);
      } catch {
        this.dead = true;
        break;
      }
      if (got === null) break;
      for (const fd of got.fds) closeQuietly(fd);
      if (got.data.length === 0) {
        this.dead = true;
        break;
      }
      this.replies++;
      try {
        out.push(msgpack.decode(got.data));
      } catch {
        out.push(undefined);
      }
    }
    return out;
  }

  close(): void {
    if (this.fd < 0) return;
    closeQuietly(this.fd);
    this.fd = -1;
    this.dead = true;
  }
}
