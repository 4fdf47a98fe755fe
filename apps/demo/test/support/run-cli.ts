import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The built CLI, as `pnpm demo` runs it. */
export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

/** The environment without any vendor credentials, so tests never reach a real vendor by accident. */
export function cleanEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(JUMIO|PERSONA|KYC)_/.test(name)) env[name] = value
  }
  return { ...env, ...extra }
}

/** What a finished CLI run printed. */
export type CliRun = { code: number | null; stdout: string; stderr: string }

/**
 * Runs `command` to completion with the vendor-free environment and collects what it printed.
 */
export function runToCompletion(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliRun> {
  return new Promise<CliRun>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: cleanEnvironment(options.env),
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

/**
 * Runs the built CLI to completion (use `--no-web`, or it serves until stopped), in a fresh working
 * directory removed afterwards, so its default data directory never lands in the repository.
 */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const cwd = mkdtempSync(join(tmpdir(), 'openkyc-demo-cli-'))
  return runToCompletion(process.execPath, [cliPath, ...args], { cwd, env }).finally(() =>
    rmSync(cwd, { recursive: true, force: true }),
  )
}
