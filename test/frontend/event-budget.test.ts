// A file's event budget (the kernel's 4096 bytes, K-EV-07) is held until an event has left for the client's
// socket, not merely until it was handed to the channel: events stuck behind a client that does not read count.
import { describe, expect, it } from 'vitest';
import { EVENT_SPACE } from '../../protocol/kms/constants.js';
import { EVENT_SIZE } from '../../protocol/kms/event.js';
import { DrmFile } from '../../frontend/kms/file.js';

describe('event budget', () => {
  it('is given back when an event leaves, not when it is queued', () => {
    const stuck: (() => void)[] = [];
    const file = new DrmFile(1, 1, (_record, onSent) => stuck.push(onSent));
    const room = EVENT_SPACE / EVENT_SIZE;
    for (let i = 0; i < room; i++) {
      file.reserveEvent();
      file.deliver(new Uint8Array(EVENT_SIZE));
    }
    expect(() => file.reserveEvent()).toThrow(expect.objectContaining({ code: 'ENOMEM' }));
    stuck.shift()!();
    file.reserveEvent();
    expect(() => file.reserveEvent()).toThrow(expect.objectContaining({ code: 'ENOMEM' }));
  });
});
