import { defineConfig } from 'vitest/config';

// Multi-process tests start real backend / frontend / client processes, so they get generous timeouts;
// two cores on CI means running files in parallel beyond that only adds noise.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
