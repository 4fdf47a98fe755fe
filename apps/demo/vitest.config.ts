import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/build-cli.ts'],
    // The CLI and browser tests start simulators, a server and Chromium: waits, not assertions on time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
