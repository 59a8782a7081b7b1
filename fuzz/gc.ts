// A full garbage collection in another Node process, through its inspector (started with --inspect=127.0.0.1:0,
// which prints the inspector's WebSocket address on stderr). RSS read after it shows what the process still holds,
// not what V8 has simply not collected yet: the difference between a leak and a heap that has not shrunk.
import WebSocket from 'ws';

/** The environment that makes a child Node process listen for an inspector on a free loopback port. */
export const INSPECTABLE: NodeJS.ProcessEnv = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim() };

const ADDRESS = /Debugger listening on (ws:\/\/\S+)/;

/** Collects garbage in the process whose output lines are `lines`; resolves false if it has no inspector. */
export async function collectGarbage(lines: readonly string[]): Promise<boolean> {
  const url = lines.map((l) => ADDRESS.exec(l)?.[1]).find((u) => u !== undefined);
  if (!url) return false;
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const reply = JSON.parse(String(data)) as { id?: number; error?: { message: string } };
        if (reply.id !== 1) return;
        if (reply.error) reject(new Error(reply.error.message));
        else resolve();
      });
      ws.once('close', () => reject(new Error('inspector closed')));
      ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    });
    return true;
  } catch {
    return false;
  } finally {
    ws.close();
  }
}
