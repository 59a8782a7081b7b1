// What a Channel does with what its peer sends, over a real socket pair: one packet per message whatever came
// before it (every packet lands in one shared buffer), and an empty packet that carries fds (which only a peer of
// its own making can send: native.send refuses empty data) closes the channel without keeping those fds.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Channel, type Message } from '../../shared/channel.js';
import { encodePacket } from '../../shared/packet-codec.js';
import * as native from '../../shared/native/index.js';

const ownFds = () => readdirSync('/proc/self/fd').length;
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('channel receive', () => {
  it('each message is decoded from its own packet, and a value kept from one is not changed by the next', async () => {
    const [a, peer] = native.socketPair();
    const ch = new Channel(a);
    const got: Message[] = [];
    ch.on('message', (m) => got.push(m));
    const sent = [{ ev: Buffer.alloc(200, 7), s: 'long string '.repeat(10) }, { ev: Buffer.alloc(3, 1) }, { u: new Uint8Array([9, 9]), n: -5 }];
    for (const m of sent) native.send(peer, encodePacket(m), []);
    for (let i = 0; i < 400 && got.length < sent.length; i++) await tick();
    expect(got).toStrictEqual(sent);
    ch.close();
    native.close(peer);
  });

  it('an empty packet with an fd closes the channel and closes that fd', async () => {
    const [a, peer] = native.socketPair();
    const ch = new Channel(a);
    let closed = false;
    ch.on('close', () => (closed = true));
    const before = ownFds();
    // The peer's end goes to python as fd 3; it sends a zero-byte packet carrying its own stdin (fd 0).
    const py = 'import socket,array\ns=socket.socket(fileno=3)\ns.sendmsg([b""],[(socket.SOL_SOCKET,socket.SCM_RIGHTS,array.array("i",[0]))])';
    const r = spawnSync('python3', ['-c', py], { stdio: ['ignore', 'inherit', 'inherit', peer] });
    expect(r.status).toBe(0);
    for (let i = 0; i < 400 && !closed; i++) await tick();
    expect(closed).toBe(true);
    // The channel's own socket is gone too, so one fewer than before; the received fd must not stay.
    expect(ownFds()).toBe(before - 1);
    native.close(peer);
  });
});
