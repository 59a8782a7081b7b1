// The vendored spec vectors must not drift from the project's shared/spec (checked wherever that is present).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { specFiles } from './spec.js';

describe.each([1, 2] as const)('displif-v%s.json', (version) => {
  it('the copy in test/protocol/spec equals shared/spec when that is beside the repository', () => {
    const { copy, upstream } = specFiles(version);
    const ours = readFileSync(copy, 'utf8');
    expect(JSON.parse(ours).vectors.length).toBeGreaterThan(10);
    if (upstream) expect(ours).toBe(readFileSync(upstream, 'utf8'));
  });
});
