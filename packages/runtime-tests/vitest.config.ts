import { defineConfig } from 'vitest/config'

// `pnpm test`: the checks that need only Node (the web bundles, the sources). The runtimes run in
// `pnpm test:runtimes` (vitest.runtimes.config.ts). Timeouts guard against hangs, they measure nothing.
export default defineConfig({
  test: {
    include: [
      'test/web-bundle.test.ts',
      'test/web-standard-sources.test.ts',
      'test/zod-on-first-use.test.ts',
    ],
    testTimeout: 120_000,
  },
})
