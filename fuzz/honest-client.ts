// The honest client the fuzzer keeps running beside its hostile peers (a child process, so its fds and RSS are
// measured and a SIGBUS kills only it): two dumb buffers on card0's first output, a pixel written into the back
// buffer before every flip, each flip awaited to its flip-complete event. Prints `flips N` as it goes; any error
// (the device unplugged, an errno on a valid request) prints `honest client failed: ...` and exits 1.
import { Card } from '../frontend/client/card.js';
import { showTwoMappedFramebuffers } from '../frontend/client/flip-buffers.js';
import { holdOnlyLiveMemory } from '../shared/memory-policy.js';

const REPORT_EVERY = 30;

async function main(cardPath: string): Promise<void> {
  const card = Card.open(cardPath);
  const { out, fbs, maps } = await showTwoMappedFramebuffers(card);
  const { hdisplay: w, vdisplay: h } = out.mode;
  console.log('honest client ready');
  for (let n = 1; ; n++) {
    // Touching the mapping is the point: a device unplugged under us shows here (SIGBUS with that policy).
    maps[n % 2]!.words[n % (w * h)] = n;
    await card.pageFlip(out.crtcId, fbs[n % 2]!, BigInt(n));
    const ev = await card.nextEvent(60_000);
    if (ev.userData !== BigInt(n)) throw new Error(`flip ${n} completed with user data ${ev.userData}`);
    if (n % REPORT_EVERY === 0) console.log(`flips ${n}`);
  }
}

holdOnlyLiveMemory();
main(process.argv[2] ?? '').catch((e: unknown) => {
  const err = e as { code?: string; message?: string };
  console.log(`honest client failed: ${err.code ?? ''} ${err.message ?? String(e)}`);
  process.exit(1);
});
