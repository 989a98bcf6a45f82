import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Vitest's default is one worker less than the cores: one file at a time on a 2-core machine.
    // Most files wait on processes and sockets rather than compute, so two at once nearly halve the
    // suite's time; every file keeps its own PostgreSQL schema, SQLite files and ports.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
