// Wake-ups at absolute instants of process.hrtime.bigint()'s clock (CLOCK_MONOTONIC), all on one timerfd per
// process. A deadline never fires before its instant: setTimeout rounds to whole milliseconds of a cached loop clock
// and fires up to one early, which stamped vblank events with instants that had not yet come. The fd is open only
// while some deadline is pending, so an idle process holds none and is not kept alive by it; a process with many
// CRTCs or peers' connectors still holds one.
import * as native from './native/index.js';

export class Deadline {
  /** The instant it fires at, while armed. */
  at: bigint | undefined;

  constructor(readonly fire: () => void) {}

  /** Arms it for `atNs`, in place of any instant it was armed for (one already past fires at the next turn). */
  arm(atNs: bigint): void {
    take(this);
    this.at = atNs;
    let i = pending.length;
    while (i > 0 && pending[i - 1]!.at! > atNs) i--;
    pending.splice(i, 0, this);
    if (!firing) program();
  }

  /** It does not fire (until armed again). */
  cancel(): void {
    take(this);
    if (!firing) program();
  }
}

/** Armed deadlines, earliest first (a process has a few: one per lit CRTC, one per paced connector). */
const pending: Deadline[] = [];
let timer: { fd: number; watcher: native.Watcher } | undefined;
/** The instant the timerfd is armed for. */
let programmed: bigint | undefined;
/** Deadlines are firing: re-arming waits until they all have, so a fire that arms again does not reopen the fd. */
let firing = false;

function take(d: Deadline): void {
  if (d.at === undefined) return;
  pending.splice(pending.indexOf(d), 1);
  d.at = undefined;
}

/** The timerfd armed for the earliest deadline, or closed when there is none. */
function program(): void {
  const first = pending[0]?.at;
  if (first === undefined) {
    timer?.watcher.close();
    if (timer) native.close(timer.fd);
    timer = programmed = undefined;
    return;
  }
  // A deadline moved later (a CRTC's tick, pushed at every frame done) leaves the timer armed for the earlier
  // instant, which wakes up once to find nothing due and arms for this one: a wake-up per period, not a
  // timerfd_settime per flip.
  if (programmed !== undefined && first >= programmed) return;
  timer ??= open();
  native.timerfdArm(timer.fd, first);
  programmed = first;
}

function open(): { fd: number; watcher: native.Watcher } {
  const fd = native.timerfdCreate();
  // A failing watch of our own timerfd cannot really happen; if it did, every deadline fires now rather than never.
  const watcher = native.watch(fd, 'r', (err) => expired(err !== null));
  return { fd, watcher };
}

function expired(failed: boolean): void {
  if (!failed && timer) native.timerfdRead(timer.fd);
  const now = process.hrtime.bigint();
  const due: Deadline[] = [];
  while (pending.length > 0 && (failed || pending[0]!.at! <= now)) {
    const d = pending.shift()!;
    d.at = undefined;
    due.push(d);
  }
  // A failed fd is closed before the fires run, so that what they arm gets a fresh one.
  if (failed) program();
  programmed = undefined;
  firing = true;
  try {
    for (const d of due) d.fire();
  } finally {
    firing = false;
    program();
  }
}
