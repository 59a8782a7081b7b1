// The connections an attack surface holds open at once: at most `max`, each closed when dropped (at random, or
// once the peer has closed it) and all of them at the end of a batch, so fd counts can settle to the baseline.
import type { Prng } from './prng.js';

export class ConnPool<C> {
  private readonly conns: C[] = [];

  constructor(
    readonly max: number,
    private readonly closeConn: (conn: C) => void,
  ) {}

  get size(): number {
    return this.conns.length;
  }

  get full(): boolean {
    return this.conns.length >= this.max;
  }

  add(conn: C): void {
    this.conns.push(conn);
  }

  pick(r: Prng): C {
    return r.pick(this.conns);
  }

  /** Closes `conn` and forgets it. */
  drop(conn: C): void {
    this.closeConn(conn);
    const i = this.conns.indexOf(conn);
    if (i >= 0) this.conns.splice(i, 1);
  }

  /** Drops the connections `open` says the peer has closed. */
  prune(open: (conn: C) => boolean): void {
    for (const c of [...this.conns]) if (!open(c)) this.drop(c);
  }

  closeAll(): void {
    for (const c of this.conns.splice(0)) this.closeConn(c);
  }
}
