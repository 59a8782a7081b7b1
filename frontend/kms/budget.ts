// Budgets of what clients can make the frontend (and through it the backend) hold: buffer memory, which is also
// the backend's grants (one per page), buffer objects (a memfd each on both sides), fence fds. Each budget has a
// per-file and a per-device bound; a request past either fails that request with an errno, never the device.
import { pvError } from '../../shared/errors.js';

const MiB = 1024 * 1024;

export interface Limits {
  /** Bytes of buffers (dumb or imported) one file may have created, and the whole device (= grants × 4096). */
  fileBufferBytes: number;
  deviceBufferBytes: number;
  /** Buffer objects, each one memfd in the frontend and one mapping in the backend. */
  fileBuffers: number;
  deviceBuffers: number;
  /** Fence fds the frontend holds for a file (imported onto buffers, exported release fences), and in all. */
  fileFences: number;
  deviceFences: number;
}

/**
 * Defaults: 1 GiB of buffers per file and 2 GiB per device (the backend caps a peer at 4 M grants = 16 GiB; a
 * 4096×2047 XRGB8888 buffer is 32 MiB), 1,024 buffers per file and 4,096 per device, 256 fences per file and 2,048
 * per device (past them EMFILE / ENFILE, like a process's and the system's fd tables): well within a 20,000-fd table, so one client can never run the frontend out of fds for the others.
 */
export const DEFAULT_LIMITS: Limits = {
  fileBufferBytes: 1024 * MiB,
  deviceBufferBytes: 2048 * MiB,
  fileBuffers: 1024,
  deviceBuffers: 4096,
  fileFences: 256,
  deviceFences: 2048,
};

/** Whoever is charged: a file keeps its use of each budget. */
export interface Account {
  readonly usage: Map<Budget, number>;
}

export class Budget {
  private used = 0;

  constructor(
    readonly what: string,
    private readonly perFile: number,
    private readonly perDevice: number,
    /** errno past the file's bound, and past the device's. */
    private readonly codes: { file: string; device: string } = { file: 'ENOMEM', device: 'ENOSPC' },
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Charges `amount` to `account` and the device, or throws; returns the release, which works once. */
  charge(account: Account, amount: number): () => void {
    const mine = account.usage.get(this) ?? 0;
    if (mine + amount > this.perFile) throw pvError(this.codes.file, `${this.what}: this file would hold ${mine + amount}, over its limit of ${this.perFile}`);
    if (this.used + amount > this.perDevice) throw pvError(this.codes.device, `${this.what}: the device would hold ${this.used + amount}, over its limit of ${this.perDevice}`);
    account.usage.set(this, mine + amount);
    this.used += amount;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= amount;
      account.usage.set(this, (account.usage.get(this) ?? amount) - amount);
    };
  }
}

/** The budgets of one device. */
export class Budgets {
  readonly bufferBytes: Budget;
  readonly buffers: Budget;
  readonly fences: Budget;

  constructor(l: Limits) {
    this.bufferBytes = new Budget('buffer bytes', l.fileBufferBytes, l.deviceBufferBytes);
    this.buffers = new Budget('buffers', l.fileBuffers, l.deviceBuffers);
    this.fences = new Budget('fence fds', l.fileFences, l.deviceFences, { file: 'EMFILE', device: 'ENFILE' });
  }

  /** Charges one buffer of `bytes` (memory and object count together); returns the release. */
  chargeBuffer(account: Account, bytes: number): () => void {
    const memory = this.bufferBytes.charge(account, bytes);
    try {
      const object = this.buffers.charge(account, 1);
      return () => {
        memory();
        object();
      };
    } catch (e) {
      memory();
      throw e;
    }
  }
}
