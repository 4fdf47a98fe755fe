import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { bundleForWeb } from './web-bundle.js'

const run = promisify(execFile)
// This file runs from src/ (vitest) and from dist/ (the bench): the package directory is one up either way.
const packageDirectory = fileURLToPath(new URL('..', import.meta.url))
const hostScript = join(packageDirectory, 'dist/host.js')
const coldStartScripts = {
  library: join(packageDirectory, 'dist/cold-start.js'),
  onfido: join(packageDirectory, 'dist/cold-start-onfido.js'),
  baseline: join(packageDirectory, 'dist/cold-start-baseline.js'),
}
/** The same two sides as Workers (workerd loads one bundled module), plus an empty Worker: workerd's own start-up. */
const coldStartWorkers = {
  library: join(packageDirectory, 'dist/cold-start-worker.js'),
  onfido: join(packageDirectory, 'dist/cold-start-onfido-worker.js'),
  baseline: join(packageDirectory, 'dist/cold-start-baseline-worker.js'),
  empty: join(packageDirectory, 'dist/cold-start-empty-worker.js'),
}
/** Where the runtimes from npm are installed (once; later runs reuse them). */
const cacheDirectory = join(packageDirectory, 'node_modules/.cache/openkyc-runtimes')

/** The runtimes from npm, pinned: each ships its binary as a platform package (no download script). */
export const runtimePackages = { bun: '1.4.5', deno: '2.9.6', workerd: '1.20261123.1' } as const
/** Node majors besides the machine's, run with `npx -p node@N` (the `node` package from npm). */
export const extraNodeMajors = [22, 24] as const

/** A runtime the library is tested on. */
export type RuntimeName = 'node20' | 'node22' | 'node24' | 'bun' | 'deno' | 'workerd'

/** A started runtime serving the runtime app. */
export type RunningRuntime = {
  name: RuntimeName
  version: string
  url: string
  /** Stops the runtime (its whole process group). */
  stop(): Promise<void>
}

/** A runtime that can be started, and its cold start measured. */
export type RuntimeCommand = {
  name: RuntimeName
  version: string
  /** The command that runs a script on this runtime. */
  command: (script: string) => [string, string[]]
}

async function installRuntimePackages(): Promise<void> {
  const installed = Object.keys(runtimePackages).every((name) =>
    existsSync(join(cacheDirectory, 'node_modules', name, 'package.json')),
  )
  if (installed) return
  await mkdir(cacheDirectory, { recursive: true })
  await writeFile(join(cacheDirectory, 'package.json'), '{"private":true}\n')
  const specs = Object.entries(runtimePackages).map(([name, version]) => `${name}@${version}`)
  await run('npm', ['install', '--no-audit', '--no-fund', '--no-save', ...specs], {
    cwd: cacheDirectory,
    maxBuffer: 16 * 1024 * 1024,
  })
}

const binary = (name: string) => join(cacheDirectory, 'node_modules/.bin', name)

async function versionOf(file: string, args: string[]): Promise<string> {
  const { stdout } = await run(file, args)
  return stdout.trim().split('\n')[0] ?? ''
}

/** Installs what is missing (npm packages only) and answers how to run a script on each runtime. */
export async function prepareRuntimes(): Promise<RuntimeCommand[]> {
  await installRuntimePackages()
  const commands: RuntimeCommand[] = [
    { name: 'node20', version: process.version, command: (script) => [process.execPath, [script]] },
  ]
  for (const major of extraNodeMajors) {
    // The node binary npx installs from npm's `node` package; run directly afterwards.
    const { stdout } = await run('npx', ['-y', '-p', `node@${major}`, 'node', '-p', 'process.execPath'], {
      maxBuffer: 1024 * 1024,
    })
    const executable = stdout.trim()
    commands.push({
      name: `node${major}` as RuntimeName,
      version: await versionOf(executable, ['--version']),
      command: (script) => [executable, [script]],
    })
  }
  commands.push({
    name: 'bun',
    version: await versionOf(binary('bun'), ['--version']),
    command: (script) => [binary('bun'), [script]],
  })
  commands.push({
    name: 'deno',
    version: await versionOf(binary('deno'), ['--version']),
    // Network to loopback only (the simulators and its own port); reading the installed packages.
    command: (script) => [binary('deno'), ['run', '--allow-net=127.0.0.1', '--allow-read', script]],
  })
  commands.push({
    name: 'workerd',
    version: await versionOf(binary('workerd'), ['--version']),
    command: () => [binary('workerd'), []],
  })
  return commands
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.pid === undefined) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    process.kill(-child.pid, 'SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL')
  }
}

/** The first `{"listening":PORT}` (or workerd's `{"event":"listen","port":PORT}`) line on a stream. */
function listeningPort(child: ChildProcess, stream: NodeJS.ReadableStream, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    let errors = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString()).slice(-4000)
    })
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      for (const line of buffered.split('\n')) {
        const match = /"(?:listening|port)":(\d+)/.exec(line)
        if (match) resolve(Number(match[1]))
      }
    })
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening: ${errors}`)))
  })
}

/** The workerd configuration: the bundled app as a module worker, no `nodejs_compat`, loopback allowed. */
function workerdConfig(bundle: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = (
      modules = [(name = "worker.js", esModule = embed "${bundle}")],
      compatibilityDate = "2025-01-01",
      globalOutbound = "loopback",
    )),
    (name = "loopback", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
`
}

/** Bundles `entry` as a Worker (as an application would build it: no `node` condition) into `workDirectory`. */
async function prepareWorker(entry: string, workDirectory: string): Promise<void> {
  await bundleForWeb({ entry, conditions: ['workerd', 'worker'], outfile: join(workDirectory, 'worker.js') })
  await writeFile(join(workDirectory, 'config.capnp'), workerdConfig('worker.js'))
}

/** Starts workerd on the Worker that {@link prepareWorker} left in `workDirectory`. */
function spawnWorkerd(
  runtime: RuntimeCommand,
  workDirectory: string,
): { child: ChildProcess; port: Promise<number> } {
  const [file] = runtime.command('')
  const child = spawn(file, ['serve', 'config.capnp', '--control-fd=3'], {
    cwd: workDirectory,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  })
  const control = child.stdio[3] as NodeJS.ReadableStream
  return { child, port: listeningPort(child, control, runtime.name) }
}

/** Starts one runtime serving the runtime app on a loopback port it picks. */
export async function startRuntime(runtime: RuntimeCommand, workDirectory: string): Promise<RunningRuntime> {
  let child: ChildProcess
  let port: Promise<number>
  if (runtime.name === 'workerd') {
    await prepareWorker(join(packageDirectory, 'dist/worker.js'), workDirectory)
    ;({ child, port } = spawnWorkerd(runtime, workDirectory))
  } else {
    const [file, args] = runtime.command(hostScript)
    child = spawn(file, args, { cwd: packageDirectory, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    port = listeningPort(child, child.stdout as NodeJS.ReadableStream, runtime.name)
  }
  return {
    name: runtime.name,
    version: runtime.version,
    url: `http://127.0.0.1:${await port}`,
    stop: stopper(child),
  }
}

/** What one cold-start script reported, in milliseconds. */
export type ColdStart = {
  /** The import of the script's packages. */
  coldStartMs: number
  /** The first validation after the import (library sides only; the baseline validates nothing). */
  firstValidationMs?: number
}

/** A side of {@link coldStart}: core + Persona (`library`), core + Onfido, or zod + ts-pattern (`baseline`). */
export type ColdStartSide = keyof typeof coldStartScripts

/**
 * Cold start on one runtime: the import of core + one adapter (`library` for Persona, `onfido`) or
 * of core's own dependencies (`baseline`) in a fresh process, and the first validation after it, as
 * the script reports them.
 */
export async function coldStart(runtime: RuntimeCommand, side: ColdStartSide): Promise<ColdStart> {
  const [file, args] = runtime.command(coldStartScripts[side])
  const { stdout } = await run(file, args, { cwd: packageDirectory })
  const match = /"coldStartMs":([\d.]+)(?:,"firstValidationMs":([\d.]+))?/.exec(stdout)
  if (!match) throw new Error(`${runtime.name} printed no cold start figure`)
  return {
    coldStartMs: Number(match[1]),
    ...(match[2] === undefined ? {} : { firstValidationMs: Number(match[2]) }),
  }
}

/** Where {@link workerdColdStart} keeps each side's bundled Worker (built once per directory). */
export type WorkerdColdStartSide = keyof typeof coldStartWorkers

/**
 * Cold start on workerd, which has no process-level import to time (and freezes its clock while a
 * Worker's top level runs): the milliseconds from spawning workerd until it listens, for a Worker
 * that imports core + Persona (`library`), core + Onfido (`onfido`), zod + ts-pattern (`baseline`) or nothing (`empty`,
 * workerd's own start-up, to subtract). Each side is bundled as an application bundles a Worker.
 */
export async function workerdColdStart(
  runtime: RuntimeCommand,
  side: WorkerdColdStartSide,
  workDirectory: string,
): Promise<number> {
  const directory = join(workDirectory, `cold-start-${side}`)
  if (!existsSync(join(directory, 'config.capnp'))) {
    await mkdir(directory, { recursive: true })
    await prepareWorker(coldStartWorkers[side], directory)
  }
  const startedAt = performance.now()
  const { child, port } = spawnWorkerd(runtime, directory)
  try {
    await port
    return performance.now() - startedAt
  } finally {
    await stopper(child)()
  }
}
