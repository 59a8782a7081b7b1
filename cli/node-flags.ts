// How node runs pvdisplay's processes: the shebang of cli/main.ts carries these flags (`env -S`), and run() and the
// demo pass them to every process they start, so a daemon run by hand and one started by the demo, a test or the
// bench are the same process. Both flags are for the flip round trip's tail on small machines (the frontend, the
// backend and the client are three processes on, here, two cores):
//
// --min-semi-space-size=16: the young generation starts at the size it grows to under sustained flipping (16 MiB a
// semi-space, V8's own maximum on 64-bit). A flip leaves ~15 KB of short-lived garbage in the frontend; from V8's
// 1 MiB start that was a scavenge every ~70 flips, each a 0.4-1 ms stall of the flip it hit, and V8 grows the
// space only as survivors accumulate (the frontend's committed heap took ~40,000 flips to go 18.5 → 45.5 MB).
// Pages are committed as they are used, so an idle process pays nothing for it.
//
// --single-threaded: no V8 background threads (concurrent marking and sweeping, parallel scavenges, background
// compilation). Their work is small, but each one is a fourth runnable thread beside the three processes of a flip,
// and the woken process of the next hop waited behind it: of the 30 slowest of 3,000 flips, ~20 overlapped no GC of
// any of the three processes. Measured with bench/flip-loop.ts's loop (3,000 flips after 5,000 warm-up), the
// p99/p50 of runs with the first flag alone was 1.6-4.8 (3 of 6 runs over 3), with both 1.6-2.2 in 8 of 9 runs.
export const NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16', '--single-threaded'];
