import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // End-to-end tests start real processes on fixed loopback ports; keep files from racing.
    fileParallelism: false,
    pool: 'forks',
  },
});
