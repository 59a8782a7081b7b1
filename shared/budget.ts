// A count of something a peer makes this process hold (grants, segments, buffers), with a ceiling, optionally
// drawing on a process-wide budget shared by every peer. Reaching either ceiling fails that one request with an
// errno; nothing is taken then.
import { pvError } from './errors.js';

export class Budget {
  private used = 0;

  constructor(
    readonly what: string,
    readonly limit: number,
    private readonly parent?: Budget,
    private readonly code = 'ENOSPC',
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `n`, or throws (ENOSPC by default) when this budget or its parent has no room left. */
  take(n: number): void {
    if (this.used + n > this.limit) throw pvError(this.code, `${this.what}: ${this.used} + ${n} exceeds the limit of ${this.limit}`);
    this.parent?.take(n);
    this.used += n;
  }

  give(n: number): void {
    this.used -= n;
    this.parent?.give(n);
  }

  /** Gives back everything (the peer is gone). */
  release(): void {
    this.give(this.used);
  }

  /** A per-peer budget drawing on this one. */
  child(what: string, limit: number): Budget {
    return new Budget(what, limit, this, this.code);
  }
}
