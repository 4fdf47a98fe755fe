import { defineConfig } from 'vitest/config'

// `pnpm test:runtimes`: installs Bun, Deno, workerd and Node 22/24 from npm (once, cached) and runs
// the library on each. Generous timeouts: the first run downloads ~300 MB on a shared 2-core machine.
export default defineConfig({
  test: { include: ['test/runtimes.test.ts'], testTimeout: 300_000, hookTimeout: 900_000 },
})
