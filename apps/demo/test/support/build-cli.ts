import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

/**
 * Vitest global setup: compiles the demo, so the CLI and browser tests run the `dist/cli.js` that
 * matches the sources under test (turbo builds the dependencies, not the package's own `dist`).
 */
export default function buildCli(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const packageDirectory = fileURLToPath(new URL('../..', import.meta.url))
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: packageDirectory,
    stdio: 'inherit',
  })
}
