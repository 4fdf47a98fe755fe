import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Timeouts guard against hangs, they measure nothing: generous, so a busy 2-core CI machine never flakes.
// `#crypto` is the package's own import (Node picks node:crypto); tests run it from source, not from dist.
export default defineConfig({
  resolve: { alias: { '#crypto': fileURLToPath(new URL('./src/crypto/node-crypto.ts', import.meta.url)) } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
})
