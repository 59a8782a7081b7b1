// Fences as file descriptors that any process can poll, like sync_file: a fence is the read end of a pipe, and it
// signals when its write end is closed (the read end then polls readable, with EOF, forever, whoever reads it).
// Waiting works on any pollable fd a peer hands in (a pipe fence, an eventfd): readable means signalled.
import * as native from './native/index.js';

export class Fence {
  private writeFd: number | undefined;

  private constructor(
    /** The end to hand out (it is duplicated when sent); this side keeps it until close(). */
    readonly fd: number,
    writeFd: number,
  ) {
    this.writeFd = writeFd;
  }

  static create(): Fence {
    const [r, w] = native.pipe();
    return new Fence(r, w);
  }

  get signalled(): boolean {
    return this.writeFd === undefined;
  }

  signal(): void {
    if (this.writeFd === undefined) return;
    native.close(this.writeFd);
    this.writeFd = undefined;
  }

  /** Drops this side's read end; an unsignalled fence is signalled first so that no holder waits forever. */
  close(): void {
    this.signal();
    native.close(this.fd);
  }
}

/** Resolves true when `fd` polls readable (signalled), false after `timeoutMs`. The caller still owns `fd`. */
export function waitSignalled(fd: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      w.close();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const w = native.watch(fd, 'r', (err, readable) => finish(Boolean(err) || readable));
  });
}
