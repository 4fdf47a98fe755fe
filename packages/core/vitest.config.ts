import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Timeouts guard against hangs, they measure nothing: generous, so a busy 2-core CI machine never flakes.
// `#crypto` and `#transport` are the package's own imports (Node picks node:crypto and node:http); tests
// run them from source, not from dist.
export default defineConfig({
  resolve: {
    alias: {
      '#crypto': fileURLToPath(new URL('./src/crypto/node-crypto.ts', import.meta.url)),
      '#transport': fileURLToPath(new URL('./src/http/node-transport.ts', import.meta.url)),
    },
  },
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
})
