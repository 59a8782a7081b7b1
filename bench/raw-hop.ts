// The raw reference's hops: a process that relays 16-byte packets over plain Unix SOCK_SEQPACKET sockets with no
// work. `echo` answers each packet on the socket it came from; `relay` forwards client packets to the echo and the
// echo's answers back, as the frontend sits between a client and the backend. `ws-echo` and `ws-relay` are the
// same with a WebSocket on loopback as the middle hop (the remote transport's path: frontend ↔ backend over ws).
import * as native from '../shared/native/index.js';
import { rmSync } from 'node:fs';
import WebSocket, { WebSocketServer } from 'ws';

const [role, listenPath, upstreamPath] = process.argv.slice(2);

function serve(path: string, onConn: (fd: number) => void): void {
  rmSync(path, { force: true });
  const lfd = native.listen(path, 8);
  native.watch(lfd, 'r', () => {
    for (let fd = native.accept(lfd); fd !== null; fd = native.accept(lfd)) onConn(fd);
  });
  process.stdout.write('ready\n');
}

/** Moves raw packets from one socket to another as they come, bypassing msgpack (no work at all). */
function pump(from: number, to: number): void {
  native.watch(from, 'r', () => {
    for (let m = native.recv(from, 64); m; m = native.recv(from, 64)) {
      if (m.data.length === 0) process.exit(0);
      native.send(to, m.data, []);
    }
  });
}

if (role === 'echo') serve(listenPath!, (fd) => pump(fd, fd));
else if (role === 'relay') {
  const up = native.connect(upstreamPath!);
  serve(listenPath!, (fd) => {
    pump(fd, up);
    pump(up, fd);
  });
} else if (role === 'ws-echo') {
  const wss: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0 }, (): void => void process.stdout.write(`ready ${(wss.address() as { port: number }).port}\n`));
  wss.on('connection', (ws: WebSocket) => ws.on('message', (data: Buffer) => ws.send(data)));
} else if (role === 'ws-relay') {
  const up = new WebSocket(upstreamPath!);
  up.on('open', () =>
    serve(listenPath!, (fd) => {
      up.on('message', (data: Buffer) => native.send(fd, data, []));
      native.watch(fd, 'r', () => {
        for (let m = native.recv(fd, 64); m; m = native.recv(fd, 64)) {
          if (m.data.length === 0) process.exit(0);
          up.send(m.data);
        }
      });
    }),
  );
} else {
  process.stderr.write('usage: raw-hop echo|relay|ws-echo|ws-relay LISTEN [UPSTREAM]\n');
  process.exit(2);
}
