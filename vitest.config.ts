import { defineConfig } from 'vitest/config';

// Multi-process tests start real backend / frontend / client processes, so they get generous timeouts; two
// cores means running more than two files at once only adds noise. No test measures time: figures of speed and
// jitter live in `npm run bench`, which measures its references in the same run.
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks', include: ['test/**/*.test.ts'], maxWorkers: 2 },
});
