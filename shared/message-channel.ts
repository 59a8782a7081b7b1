// What the control channel's users (the store mirror, segment sharing, the XenBus walks of both sides) need from
// a channel: ordered messages with fds riding along, a close with its reason. The Unix-socket Channel is one; the
// remote transport (shared/remote/) is another, which stands in for the fds (memfds, eventfds) on its own side.
import type { EventEmitter } from 'node:events';
import type { ChannelEvents, Message } from './channel.js';
import { asErrno, type ErrnoLike } from './errors.js';
import type { Rect } from '../protocol/kms/blobs.js';

/** What changed in a framebuffer (null: anywhere); `flip`: for its next PG_FLIP, else now (DIRTYFB). */
export interface DamageHints {
  damage(fbCookie: bigint, rects: readonly Rect[] | null, flip: boolean): void;
}

export interface MessageChannel extends EventEmitter<ChannelEvents> {
  readonly isOpen: boolean;
  /** Sends one message; the caller keeps its fds (they are duplicated where they must outlive the call). */
  send(msg: Message, fds?: number[]): void;
  close(err?: ErrnoLike): void;
  /** Present on transports that copy bytes instead of sharing pages. */
  readonly hints?: DamageHints;
}

/**
 * Sends, but a message that cannot be sent closes the channel with that error instead of throwing: a peer that
 * hung up costs the caller nothing but the close event.
 */
export function post(ch: MessageChannel, msg: Message): boolean {
  if (!ch.isOpen) return false;
  try {
    ch.send(msg);
    return ch.isOpen;
  } catch (e) {
    ch.close(asErrno(e));
    return false;
  }
}
