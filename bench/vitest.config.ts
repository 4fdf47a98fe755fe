import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The soak runs thousands of simulated flows: generous limits, never assertions on time.
    testTimeout: 120_000,
    // Three independent, CPU-bound files: use both cores of a 2-core machine.
    maxWorkers: 2,
    hookTimeout: 60_000,
  },
})
