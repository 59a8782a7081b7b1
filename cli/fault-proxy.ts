// A userspace TCP proxy a test or benchmark puts between a remote frontend and its backend (netem is not available
// here): each chunk can be held for a delay and as long as a bandwidth cap takes to carry it, both directions can
// stall (chunks wait until resumed), and the link can be cut (every connection destroyed, new ones refused until
// restored). It counts the bytes it carries from the frontend.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export class FaultProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly held: (() => void)[] = [];
  delayMs = 0;
  /** 0: no cap; else each chunk also waits as long as this rate takes to carry it. */
  bytesPerSecond = 0;
  private stalled = false;
  private cut = false;
  /** Bytes forwarded from the frontend to the backend. */
  upstreamBytes = 0;

  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => this.accept(client));
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as { port: number }).port;
  }

  private accept(client: Socket): void {
    if (this.cut) return void client.destroy();
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    this.pipe(client, upstream, true);
    this.pipe(upstream, client, false);
  }

  private pipe(from: Socket, to: Socket, up: boolean): void {
    // One chunk at a time, in order: a delay or a stall holds everything behind it too.
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      chain = chain.then(async () => {
        const wait = this.delayMs + (this.bytesPerSecond > 0 ? (chunk.length * 1000) / this.bytesPerSecond : 0);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        while (this.stalled) await new Promise<void>((r) => this.held.push(r));
        if (up) this.upstreamBytes += chunk.length;
        if (!to.destroyed) to.write(chunk);
      });
    });
  }

  /** Nothing moves either way, and nothing more is read: the senders' socket buffers fill (TCP backpressure). */
  stall(): void {
    this.stalled = true;
    for (const s of this.sockets) s.pause();
  }

  resume(): void {
    this.stalled = false;
    for (const s of this.sockets) s.resume();
    for (const wake of this.held.splice(0)) wake();
  }

  /** Destroys every connection and refuses new ones until restore(). */
  cutLink(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.cut = false;
  }

  close(): void {
    this.cutLink();
    this.resume();
    this.server.close();
  }
}
