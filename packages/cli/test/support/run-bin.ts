import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const packageDirectory = new URL('../../', import.meta.url)
const manifest = JSON.parse(readFileSync(new URL('package.json', packageDirectory), 'utf8')) as {
  bin: { openkyc: string }
}

/** The file `npm install` links as `openkyc`, taken from package.json's `bin`. */
export const binPath = fileURLToPath(new URL(manifest.bin.openkyc, packageDirectory))

/** What one run of the bin printed, and its exit code. */
export type BinRun = { code: number | null; stdout: string; stderr: string }

/**
 * Runs `openkyc …` to completion as a user would, with only `env` (and PATH) as its environment, so
 * no vendor setting of the machine running the tests leaks in.
 */
export function runBin(args: readonly string[], env: Record<string, string> = {}): Promise<BinRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}
