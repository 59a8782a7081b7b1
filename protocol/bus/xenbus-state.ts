// XenBus states (io/xenbus.h): the numbers each end writes to its `state` key, their names, and strict parsing.
import { ProtocolError } from '../errors.js';
import { parseStoreUint } from './store-keys.js';

export const XenbusState = {
  Unknown: 0,
  Initialising: 1,
  InitWait: 2,
  Initialised: 3,
  Connected: 4,
  Closing: 5,
  Closed: 6,
  Reconfiguring: 7,
  Reconfigured: 8,
} as const;
export type XenbusState = (typeof XenbusState)[keyof typeof XenbusState];

const NAMES = Object.keys(XenbusState) as (keyof typeof XenbusState)[];

export function isXenbusState(value: number): value is XenbusState {
  return Number.isInteger(value) && value >= XenbusState.Unknown && value <= XenbusState.Reconfigured;
}

/** 'Connected' for 4; 'Invalid(<n>)' for a number that is no state (for logs). */
export function stateName(state: number): string {
  return isXenbusState(state) ? NAMES[state]! : `Invalid(${state})`;
}

/** Parses a `state` value ("4"); throws ProtocolError 'EINVAL' for junk or a number that is no state. */
export function parseState(value: string): XenbusState {
  const n = parseStoreUint(value, 'state');
  if (!isXenbusState(n)) throw new ProtocolError('EINVAL', `state ${n} is not a XenBus state`);
  return n;
}
