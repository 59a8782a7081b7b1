// A full garbage collection in another Node process, through its inspector (started with --inspect=127.0.0.1:0,
// which prints the inspector's WebSocket address on stderr), and the JS heap it leaves in use: what the process
// really holds, where RSS also counts pages V8 keeps after freeing them (a heap that has not shrunk is no leak).
// Each waits until the process has handled the collection's performance entry and then one more turn of its loop,
// so that what a full collection sets off there (shared/memory-policy.ts's malloc trim) has happened too.
import { Session } from 'node:inspector/promises';
import { constants } from 'node:perf_hooks';
import WebSocket from 'ws';

/**
 * An expression that resolves one loop turn after the process's observers have seen its next full collection. Any
 * entry would not do: a scavenge just before the full collection resolved it before the trim had run, and RSS was
 * read with untrimmed arenas (a frontend 1.5 MiB over its level for one fuzz round, then back).
 */
const NEXT_COLLECTION_SEEN = `globalThis.__pvdCollectionSeen = new Promise((r) => { const o = new PerformanceObserver((l) => { if (!l.getEntries().some((e) => e.detail?.kind === ${constants.NODE_PERFORMANCE_GC_MAJOR})) return; o.disconnect(); setImmediate(r); }); o.observe({ entryTypes: ["gc"] }); })`;
const AWAIT_COLLECTION_SEEN = 'globalThis.__pvdCollectionSeen';

/** The environment that makes a child Node process listen for an inspector on a free loopback port. */
export const INSPECTABLE: NodeJS.ProcessEnv = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim() };

const ADDRESS = /Debugger listening on (ws:\/\/\S+)/;

/** Collects garbage in the process whose output lines are `lines`; the heap bytes then used, or undefined. */
export async function collectGarbage(lines: readonly string[]): Promise<number | undefined> {
  const url = lines.map((l) => ADDRESS.exec(l)?.[1]).find((u) => u !== undefined);
  if (!url) return undefined;
  const ws = new WebSocket(url);
  const replies = new Map<number, (r: InspectorReply) => void>();
  ws.on('message', (data) => {
    const reply = JSON.parse(String(data)) as InspectorReply;
    if (reply.id !== undefined) replies.get(reply.id)?.(reply);
  });
  let id = 0;
  const call = (method: string, params?: Record<string, unknown>) =>
    new Promise<InspectorReply>((resolve, reject) => {
      replies.set(++id, (r) => (r.error ? reject(new Error(r.error.message)) : resolve(r)));
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const closed = new Promise<never>((_, reject) => ws.once('close', () => reject(new Error('inspector closed'))));
    await Promise.race([call('Runtime.evaluate', { expression: `void (${NEXT_COLLECTION_SEEN})` }), closed]);
    await Promise.race([call('HeapProfiler.collectGarbage'), closed]);
    await Promise.race([call('Runtime.evaluate', { expression: AWAIT_COLLECTION_SEEN, awaitPromise: true }), closed]);
    const usage = await Promise.race([call('Runtime.getHeapUsage'), closed]);
    return usage.result?.usedSize;
  } catch {
    return undefined;
  } finally {
    // Until the target has closed its end, its inspector socket is one more fd in its count.
    if (ws.readyState !== WebSocket.CLOSED) await new Promise((resolve) => ws.once('close', resolve).close());
  }
}

/** The same in this process (the fuzzer's own heap: its inputs are big, and it must not keep them). */
export async function collectOwnGarbage(): Promise<number | undefined> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Runtime.evaluate', { expression: `void (${NEXT_COLLECTION_SEEN})` });
    await session.post('HeapProfiler.collectGarbage');
    await session.post('Runtime.evaluate', { expression: AWAIT_COLLECTION_SEEN, awaitPromise: true });
    const usage = (await session.post('Runtime.getHeapUsage')) as { usedSize?: number } | undefined;
    return usage?.usedSize;
  } catch {
    return undefined;
  } finally {
    session.disconnect();
  }
}

interface InspectorReply {
  id?: number;
  result?: { usedSize?: number };
  error?: { message: string };
}
