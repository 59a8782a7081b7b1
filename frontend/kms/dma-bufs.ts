// Exported dma-bufs keep their object alive, as in the kernel (K-PR-07, K-PR-11, PMM-06): while any open file
// description of an export remains (an fd in any process, or a mapping of one), the GEM object holds a reference
// for it, so that importing that fd again after every handle closed gives back the same object, with its geometry
// and MAP_DUMB, instead of a new geometry-less import.
// Here the dma-buf is the buffer's memfd, and each export is a fresh open of it (a description of its own, never
// the frontend's). An inotify watch on the memfd sees every open (IN_OPEN) and every description released anywhere
// (IN_CLOSE_*): the opens since the first export, less the closes, are the descriptions still open. The reference
// goes when that count is back at 0. Bounds: one watch per exported live object, so at most the device's buffer
// budget; what an export keeps alive stays charged to its creator's budgets. If the inotify queue overflows the
// count is lost: every reference is dropped (a later re-import then makes a new object, as before this existed),
// never kept for ever. An open of the same memfd made before its first export and closed after it (a client that
// reopened /proc/<pid>/fd of a MAP_DUMB fd) is counted as an export closing: the reference can go early, never late.
import { constants, openSync } from 'node:fs';
import { logger } from '../../shared/log.js';
import * as native from '../../shared/native/index.js';
import type { GemObject } from './gem.js';

const log = logger('dma-buf');

const IN_OPEN = 0x20;
const IN_CLOSE = 0x08 | 0x10;
const IN_Q_OVERFLOW = 0x4000;

interface Exported {
  obj: GemObject;
  wd: number;
  /** Descriptions opened since the watch and not closed yet. */
  open: number;
  /** Our own export opens whose IN_OPEN has not been read yet (counted in `open` already). */
  unseen: number;
  /** Whether the object holds the reference for its exports. */
  held: boolean;
}

export class DmaBufs {
  private inotifyFd = -1;
  private watcher: native.Watcher | undefined;
  private readonly byWd = new Map<number, Exported>();
  private readonly byObj = new Map<GemObject, Exported>();

  /** A new open file description of the object's memfd for a client; the object lives while it is open. */
  export(obj: GemObject, writable: boolean): number {
    const e = this.byObj.get(obj) ?? this.watch(obj);
    const fd = openSync(`/proc/self/fd/${obj.seg.fd}`, writable ? constants.O_RDWR : constants.O_RDONLY); // libuv adds O_CLOEXEC
    e.open++;
    e.unseen++;
    if (!e.held) {
      e.held = true;
      obj.get();
    }
    return fd;
  }

  /** The object was freed: its watch goes (and the inotify fd with the last one). */
  forget(obj: GemObject): void {
    const e = this.byObj.get(obj);
    if (!e) return;
    this.byObj.delete(obj);
    this.byWd.delete(e.wd);
    native.inotifyUnwatch(this.inotifyFd, e.wd);
    if (this.byObj.size === 0) this.stop();
  }

  private watch(obj: GemObject): Exported {
    if (this.inotifyFd < 0) {
      this.inotifyFd = native.inotifyInit();
      this.watcher = native.watch(this.inotifyFd, 'r', (err) => (err ? log.warn(`inotify: ${err.message}`) : this.drain()));
    }
    let wd: number;
    try {
      wd = native.inotifyWatchFd(this.inotifyFd, obj.seg.fd);
    } catch (err) {
      if (this.byObj.size === 0) this.stop();
      throw err;
    }
    const e: Exported = { obj, wd, open: 0, unseen: 0, held: false };
    this.byWd.set(wd, e);
    this.byObj.set(obj, e);
    return e;
  }

  private drain(): void {
    const events = native.inotifyRead(this.inotifyFd);
    const drop: Exported[] = [];
    for (let i = 0; i < events.length; i += 2) {
      const mask = events[i + 1]!;
      if (mask & IN_Q_OVERFLOW) {
        log.warn('inotify queue overflowed: exported dma-bufs no longer keep their objects alive');
        for (const e of this.byObj.values()) {
          e.open = 0;
          e.unseen = 0;
          drop.push(e);
        }
        continue;
      }
      const e = this.byWd.get(events[i]!);
      if (!e) continue;
      if (mask & IN_OPEN) {
        if (e.unseen > 0) e.unseen--;
        else e.open++;
      }
      if (mask & IN_CLOSE) {
        e.open = Math.max(0, e.open - 1);
        if (e.open === 0) drop.push(e);
      }
    }
    // After the batch: a put() can free the object and forget() it, which must not happen mid-loop.
    for (const e of drop) {
      if (!e.held || e.open > 0) continue;
      e.held = false;
      e.obj.put();
    }
  }

  private stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.inotifyFd >= 0) native.close(this.inotifyFd);
    this.inotifyFd = -1;
  }
}
