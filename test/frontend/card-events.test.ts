// The client library's event queue against a scripted device node (a real socket in this process): an app that
// only listens keeps nothing queued, a queue nobody pulls stays bounded, nextEvent() leaves a CRTC-sequence event
// it rejects in the queue, and waiters fail with ENODEV once no event can come.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Card, MAX_QUEUED_EVENTS } from '../../frontend/client/card.js';
import { encodeSequenceEvent, encodeVblankEvent, type KmsEvent } from '../../protocol/kms/event.js';
import { Listener, type Channel } from '../../shared/channel.js';

const vblank = (n: number) => encodeVblankEvent({ type: 2, userData: BigInt(n), tvSec: 0, tvUsec: 0, sequence: n, crtcId: 31 });
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('client event queue', () => {
  let dir: string;
  let listener: Listener;
  let server: Channel | undefined;
  let card: Card;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pvd-card-'));
    server = undefined;
    listener = new Listener(join(dir, 'card3'), (ch) => (server = ch));
    card = Card.open(join(dir, 'card3'));
    for (let i = 0; i < 400 && !server; i++) await tick();
  });
  afterEach(() => {
    card.close();
    server?.close();
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends `records` as event packets (32 at most per packet) and waits until the card has had them all. */
  async function send(records: Uint8Array[], seen: () => number): Promise<void> {
    const target = seen() + records.length;
    for (let i = 0; i < records.length; i += 32) server!.send({ ev: Buffer.concat(records.slice(i, i + 32)) });
    for (let i = 0; i < 2000 && seen() < target; i++) await tick();
    expect(seen()).toBe(target);
  }

  it('an app that only listens: 5,000 events are each emitted once, none is kept', async () => {
    const got: KmsEvent[] = [];
    card.on('event', (e) => got.push(e));
    await send(Array.from({ length: 5000 }, (_, i) => vblank(i)), () => got.length);
    expect(got.map((e) => Number(e.userData))).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    await expect(card.nextAnyEvent(20)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('a queue nobody pulls keeps the newest MAX_QUEUED_EVENTS and counts the rest', async () => {
    const n = MAX_QUEUED_EVENTS + 500;
    await send(Array.from({ length: n }, (_, i) => vblank(i)), () => card.queuedEvents + card.droppedEvents);
    expect(card.queuedEvents).toBe(MAX_QUEUED_EVENTS);
    expect(card.droppedEvents).toBe(500);
    expect((await card.nextEvent()).userData).toBe(500n);
  });

  it('nextEvent() rejects a CRTC-sequence event with EPROTO and leaves it for nextAnyEvent()', async () => {
    const seq = encodeSequenceEvent({ userData: 7n, timeNs: 1n, sequence: 9n });
    server!.send({ ev: Buffer.from(seq) });
    await tick();
    await expect(card.nextEvent(2000)).rejects.toMatchObject({ code: 'EPROTO' });
    expect(await card.nextAnyEvent(2000)).toMatchObject({ type: 3, userData: 7n });
    // The same when the wait came first.
    const waiting = card.nextEvent(2000);
    server!.send({ ev: Buffer.from(seq) });
    await expect(waiting).rejects.toMatchObject({ code: 'EPROTO' });
    expect(await card.nextAnyEvent(2000)).toMatchObject({ type: 3, sequence: 9n });
  });

  it('waiters fail with ENODEV when the device is unplugged or the connection closes; queued events still come first', async () => {
    const waiting = card.nextEvent(5000);
    server!.send({ ev: Buffer.from(vblank(1)) });
    expect((await waiting).userData).toBe(1n);
    const pending = card.nextEvent(5000);
    server!.send({ ev: Buffer.from(vblank(2)) });
    server!.send({ uevent: { action: 'remove', devname: 'card3' } });
    expect((await pending).userData).toBe(2n);
    await expect(card.nextEvent(5000)).rejects.toMatchObject({ code: 'ENODEV' });
  });

  it('a closed connection fails a pending nextEvent() at once, not at its timeout', async () => {
    const pending = card.nextEvent(60_000);
    server!.close();
    await expect(pending).rejects.toMatchObject({ code: 'ENODEV' });
    await expect(card.nextAnyEvent(60_000)).rejects.toMatchObject({ code: 'ENODEV' });
  });
});
