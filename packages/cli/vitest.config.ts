import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/build-bin.ts'],
    // The tests run the built bin as a child process against simulators: waits, not timed assertions.
    testTimeout: 30_000,
  },
})
