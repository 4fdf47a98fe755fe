import { defineConfig } from 'vitest/config'

export default defineConfig({
  // PGlite boots a WASM PostgreSQL (seconds on a loaded 2-core machine); crash tests spawn processes.
  test: { include: ['test/**/*.test.ts'], testTimeout: 90_000, hookTimeout: 90_000 },
})
