import { defineConfig } from 'vitest/config'

// Timeouts guard against hangs, they measure nothing: generous, so a busy 2-core CI machine never flakes.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
})
