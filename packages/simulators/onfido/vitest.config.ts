import { defineConfig } from 'vitest/config'

export default defineConfig({
  // The first response of a kind compiles its schema from the official spec (ajv), which takes a few
  // seconds on a busy 2-core machine; tests assert outcomes, never times. The browser test (Debian's
  // Chromium) runs with `pnpm test:browser`: see vitest.browser.config.ts.
  test: { include: ['test/**/*.test.ts'], exclude: ['test/**/*.e2e.test.ts'], testTimeout: 20_000 },
})
