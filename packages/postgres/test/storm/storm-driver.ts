import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { StormDelivery } from './persona-storm.js'

const receiverPath = fileURLToPath(new URL('./receiver.mjs', import.meta.url))

/**
 * A running receiver child process; `lines` are what it printed after its port (its counts, printed
 * on a clean stop).
 */
export type Receiver = {
  port: number
  child: ChildProcess
  exited: Promise<number | null>
  stderr: string[]
  lines: string[]
}

/**
 * Starts `receiver.mjs` (or another receiver script, `script`) with `environment` and waits until it
 * listens (it prints its port).
 */
export async function startReceiver(
  environment: Record<string, string>,
  script = receiverPath,
): Promise<Receiver> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stderr: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
  // 'close': the process ended and its output was read to the end.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  const output = createInterface({ input: child.stdout! })
  const lines: string[] = []
  const port = await new Promise<number>((resolve, reject) => {
    output.once('line', (line) => {
      resolve((JSON.parse(line) as { port: number }).port)
      output.on('line', (next) => lines.push(next))
    })
    void exited.then((code) =>
      reject(new Error(`receiver exited (${code}) before listening: ${stderr.join('')}`)),
    )
  })
  return { port, child, exited, stderr, lines }
}

/** Stops a receiver: SIGKILL (a crash) or SIGTERM (a clean stop), and waits for it to exit. */
export async function stopReceiver(receiver: Receiver, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  if (receiver.child.exitCode === null && receiver.child.signalCode === null) receiver.child.kill(signal)
  await receiver.exited
}

/** The groups a cleanly stopped receiver processed again one event per transaction after they failed. */
export function groupsRetriedAlone(receiver: Receiver): number {
  const counts = receiver.lines.map((line) => JSON.parse(line) as { groupsRetriedAlone?: number })
  return counts.reduce((sum, count) => sum + (count.groupsRetriedAlone ?? 0), 0)
}

/** What {@link deliverStorm} counted. */
export type DeliveryStats = {
  /** HTTP attempts, including retries. */
  attempts: number
  /** Deliveries acknowledged with 2xx (equals the storm's length at the end). */
  acknowledged: number
  /** Attempts answered with a non-2xx status (retried later, as providers do). */
  rejected: number
  /** Attempts that failed on the connection (a killed receiver). */
  connectionFailures: number
}

/**
 * Sends every delivery until each is acknowledged with 2xx, `concurrency` at a time, like an
 * at-least-once provider: a failed or refused attempt goes to the back of the queue. `portFor`
 * picks the receiver of each attempt (undefined while none is up); `afterAcknowledged` runs after
 * each acknowledgement and may kill and restart receivers.
 */
export async function deliverStorm(options: {
  storm: readonly StormDelivery[]
  concurrency: number
  portFor: () => number | undefined
  afterAcknowledged?: (acknowledged: number) => Promise<void> | void
}): Promise<DeliveryStats> {
  const queue = [...options.storm]
  const stats: DeliveryStats = { attempts: 0, acknowledged: 0, rejected: 0, connectionFailures: 0 }
  let inFlight = 0
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const worker = async () => {
    for (;;) {
      const delivery = queue.shift()
      if (delivery === undefined) {
        if (inFlight === 0) return
        await pause(5)
        continue
      }
      const port = options.portFor()
      if (port === undefined) {
        // Between a kill and the restart: hold the delivery back, as a provider's retry timer would.
        queue.push(delivery)
        await pause(20)
        continue
      }
      inFlight += 1
      let acknowledged = false
      try {
        stats.attempts += 1
        const response = await fetch(`http://127.0.0.1:${port}/webhooks/persona`, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.rawBody,
          signal: AbortSignal.timeout(20_000),
        })
        await response.arrayBuffer()
        if (response.ok) acknowledged = true
        else stats.rejected += 1
      } catch {
        stats.connectionFailures += 1
      } finally {
        inFlight -= 1
      }
      if (acknowledged) {
        stats.acknowledged += 1
        await options.afterAcknowledged?.(stats.acknowledged)
      } else {
        queue.push(delivery)
        await pause(20)
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return stats
}

/** `count` distinct points in (0, total), ascending, from a seeded generator. */
export function killPoints(total: number, count: number, seed: number): number[] {
  let state = seed
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
  const points = new Set<number>()
  while (points.size < count) points.add(1 + Math.floor(random() * (total - 2)))
  return [...points].sort((left, right) => left - right)
}
