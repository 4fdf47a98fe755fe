import { defineConfig } from 'vitest/config'

// `pnpm test` runs everything but the browser test, so it needs nothing beyond Node and npm.
// The browser test (Debian's Chromium) runs with `pnpm test:browser`: see vitest.browser.config.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.e2e.test.ts'],
    globalSetup: ['test/support/build-cli.ts'],
    // The CLI tests start simulators and a server: waits, not assertions on time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
