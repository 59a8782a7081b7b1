// Frontend domain ids stay in Xen's guest range however many frontends come and go: the backend once counted past
// 65535 after that many connections (a 600 s fuzz run made them) and exited on the next hello.
import { describe, expect, it } from 'vitest';
import { DomainIds, FIRST_DOMID, LAST_DOMID } from '../../backend/domain-ids.js';
import { frontendDir } from '../../protocol/bus/store-keys.js';

describe('domain ids', () => {
  it('count up from 1 to 0x7FEF, then wrap to 1; every one names a valid frontend directory', () => {
    const ids = new DomainIds();
    const given: number[] = [];
    for (let i = 0; i < 2 * LAST_DOMID + 5; i++) given.push(ids.take(() => false)!);
    expect(given.slice(0, 3)).toEqual([1, 2, 3]);
    expect(given[LAST_DOMID - 1]).toBe(LAST_DOMID);
    expect(given[LAST_DOMID]).toBe(FIRST_DOMID);
    expect(Math.max(...given)).toBe(LAST_DOMID);
    for (const id of given) expect(() => frontendDir(id, 0)).not.toThrow();
  });

  it('skip ids still in use after a wrap, and give none when every id is in use', () => {
    const ids = new DomainIds(LAST_DOMID);
    const live = new Set([LAST_DOMID, 1, 2]);
    expect(ids.take((id) => live.has(id))).toBe(3);
    expect(ids.take(() => true)).toBeUndefined();
  });
});
