// Bounds on what frontends can make the backend hold: per frontend, and for the whole process (so that many
// frontends together cannot exhaust its mappings, fds or memory either). Reaching one fails that one request with
// ENOSPC (a refused control message, or a negative status on the ring; ENOMEM for gathered dbuf memory); the
// frontend stays connected.
import { Budget } from '../shared/budget.js';
import { GRANT_PAGES_PER_PEER } from '../shared/grants.js';
import { SEGMENTS_PER_PEER, type MapperBudgets } from '../shared/sharing.js';

export const LIMITS = {
  /** Granted pages (4 KiB each): 1 GiB of buffers per frontend, 4 GiB in all. */
  grantPages: { perPeer: GRANT_PAGES_PER_PEER, total: 4 * GRANT_PAGES_PER_PEER },
  /** Segments handed over, one mapping each (the process's mapping limit is about 65,000). */
  segments: { perPeer: SEGMENTS_PER_PEER, total: 4 * SEGMENTS_PER_PEER },
  /** Frontends served at once; a connection past this is closed at once. */
  frontends: 64,
  /** dbufs and framebuffers of one frontend (several may share pages, so pages alone do not bound them). */
  dbufsPerPeer: 4096,
  fbsPerPeer: 4096,
  /**
   * Pages of dbufs whose pages are not in order in one segment: those are gathered into a private copy (64 MiB of
   * this process's memory per frontend at most, -ENOMEM past it), copied at every scanout.
   */
  gatheredPagesPerPeer: 1 << 14,
  /** be-alloc buffers this side allocates, one memfd each. */
  backendBuffers: { perPeer: 256, total: 1024 },
  /** Store nodes a frontend's mirror may hold (values and paths are at most 4 KiB each). */
  storeKeysPerPeer: 2048,
  /** Pages a remote frontend's mirrors hold (its buffers live in this process): 512 MiB each, 2 GiB in all. */
  mirrorPages: { perPeer: 1 << 17, total: 1 << 19 },
  /** Event channels a frontend may bind (two fds each). */
  evtchnsPerPeer: 64,
  /** Flips a connector queues for its next vblanks; Linux keeps one in flight per CRTC. */
  queuedFlips: 4,
  /** Frame-done events a connector holds while the frontend does not consume its event page. */
  frameDoneBacklog: 64,
} as const;

export interface PeerBudgets extends MapperBudgets {
  backendBuffers: Budget;
  gatheredPages: Budget;
}

/** The process-wide budgets; each frontend draws on them through its own. */
export class BackendBudgets {
  private readonly grants = new Budget('granted pages (all frontends)', LIMITS.grantPages.total);
  private readonly segments = new Budget('segments (all frontends)', LIMITS.segments.total);
  private readonly backendBuffers = new Budget('be-alloc buffers (all frontends)', LIMITS.backendBuffers.total);

  private readonly mirrorPages = new Budget('mirrored pages (all frontends)', LIMITS.mirrorPages.total);

  /** What the mirrors of one remote frontend may hold. */
  mirrorsForPeer(): Budget {
    return this.mirrorPages.child('mirrored pages', LIMITS.mirrorPages.perPeer);
  }

  forPeer(): PeerBudgets {
    return {
      grants: this.grants.child('granted pages', LIMITS.grantPages.perPeer),
      segments: this.segments.child('segments', LIMITS.segments.perPeer),
      backendBuffers: this.backendBuffers.child('be-alloc buffers', LIMITS.backendBuffers.perPeer),
      gatheredPages: new Budget('pages of gathered dbufs', LIMITS.gatheredPagesPerPeer, undefined, 'ENOMEM'),
    };
  }
}
