// Test helper: the one assertion that a call fails with a ProtocolError of a given code (its errno matching the
// code) and, optionally, a message matching a pattern. Every test/protocol test that checks a refusal uses it.
import { expect } from 'vitest';
import { ERRNO, ProtocolError, type ErrnoCode } from '../../protocol/errors.js';

export function expectProtocolError(f: () => unknown, code: ErrnoCode, message?: RegExp): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ProtocolError ${code}`).toBeInstanceOf(ProtocolError);
  const err = thrown as ProtocolError;
  expect(err.code).toBe(code);
  expect(err.errno).toBe(ERRNO[code]);
  if (message !== undefined) expect(err.message).toMatch(message);
}
