// The mapping side of the sharing messages in process: grants as ranges (splits, lookups, an ungrant that names
// refs not granted revokes nothing), and the bound on segments a peer hands over, whose fds are never kept past it
// (the frontend keeps a backend's segments as fds: unsolicited `seg` messages must not fill its fd table).
import { describe, expect, it } from 'vitest';
import * as native from '../../shared/native/index.js';
import { Mapper } from '../../shared/sharing.js';
import { openFdCount } from '../native/helpers.js';

const seg = (m: Mapper, id: number, pages: number): void => {
  const fd = native.memfdCreate('t', pages * 4096, true);
  try {
    m.handle({ t: 'seg', id, size: pages * 4096 }, [fd]);
  } catch (e) {
    expect(() => native.fileSize(fd)).toThrow(); // closed either way: this side owns it
    throw e;
  }
};

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('Mapper', () => {
  it('grants are ranges: a partial ungrant splits one, an ungrant of refs not all granted is ENOENT and revokes none', () => {
    const m = new Mapper();
    seg(m, 1, 8);
    m.handle({ t: 'grant', gref: 100, seg: 1, page: 0, count: 8 }, []);
    m.handle({ t: 'ungrant', gref: 102, count: 3 }, []);
    expect([100, 101, 102, 104, 105, 107].map((g) => m.grants.resolve(g)?.page)).toEqual([0, 1, undefined, undefined, 5, 7]);
    expect(m.grants.size).toBe(5);
    expect(codeOf(() => m.handle({ t: 'ungrant', gref: 100, count: 3 }, []))).toBe('ENOENT');
    expect(codeOf(() => m.handle({ t: 'ungrant', gref: 1, count: 0xffffffff }, []))).toBe('ENOENT');
    expect(m.grants.size).toBe(5);
    expect(codeOf(() => m.handle({ t: 'grant', gref: 107, seg: 1, page: 0, count: 1 }, []))).toBe('EEXIST');
    m.handle({ t: 'seg-close', id: 1 }, []);
    expect(m.grants.size).toBe(0);
    m.clear();
  });

  it('unmapped segments past the bound are ENOSPC and their fds closed; closing one makes room', () => {
    const m = new Mapper(false);
    const before = openFdCount();
    let id = 1;
    for (; id <= 1024; id++) seg(m, id, 1);
    expect(openFdCount()).toBe(before + 1024);
    expect(codeOf(() => seg(m, id, 1))).toBe('ENOSPC');
    expect(openFdCount()).toBe(before + 1024);
    m.handle({ t: 'seg-close', id: 1 }, []);
    seg(m, id + 1, 1);
    m.clear();
    expect(openFdCount()).toBe(before);
  });

  it('a segment that is not a memfd is EINVAL; grants into it fail with the same errno', () => {
    const m = new Mapper();
    const [r, w] = native.pipe();
    expect(codeOf(() => m.handle({ t: 'seg', id: 5, size: 4096 }, [r]))).toBe('EINVAL');
    expect(codeOf(() => m.handle({ t: 'grant', gref: 9, seg: 5, page: 0, count: 1 }, []))).toBe('EINVAL');
    expect(m.grants.refusal(9)?.code).toBe('EINVAL');
    m.handle({ t: 'ungrant', gref: 9, count: 1 }, []); // forgets the refusal, like the grant it stands for
    m.handle({ t: 'seg-close', id: 5 }, []);
    expect(m.grants.refusal(9)).toBeUndefined();
    native.close(w);
  });
});
