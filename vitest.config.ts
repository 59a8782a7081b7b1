import { defineConfig } from 'vitest/config';

// Multi-process tests start real backend / frontend / client processes, so they get generous timeouts; two
// cores means running more than two files at once only adds noise. Tests that measure timing (*.timing.test.ts)
// run after everything else, one at a time, so that other tests' processes do not distort what they measure.
const shared = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'main', include: ['test/**/*.test.ts'], exclude: ['test/**/*.timing.test.ts'], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...shared, name: 'timing', include: ['test/**/*.timing.test.ts'], maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
