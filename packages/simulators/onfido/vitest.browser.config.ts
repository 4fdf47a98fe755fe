import { defineConfig } from 'vitest/config'

// The hosted-flow browser test: Debian's Chromium at /usr/bin/chromium, driven by playwright-core, headless.
export default defineConfig({
  test: { include: ['test/**/*.e2e.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
})
