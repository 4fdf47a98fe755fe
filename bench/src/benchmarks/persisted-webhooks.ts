import { readFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import {
  createMemoryStore,
  createWebhookPipeline,
  type KycStore,
  signTimestampedPayload,
  type WebhookEventHandler,
} from '@openkyc/core'
import { createPostgresStore, migrate, openDatabase, type SqlExecutor } from '@openkyc/postgres'
import type { CapturedWebhook } from '@openkyc/testkit/harness'
import { summarize } from '../measure.js'
import { createBenchPersona, personaTestCredentials } from '../providers.js'
import type { BenchmarkResult, Figure } from '../report.js'
import { startThrowawayPostgres, type ThrowawayPostgres } from '../throwaway-postgres.js'
import { collectPersonaDeliveries } from './webhook-ingest.js'

/** How long the measurement runs. */
export type PersistedWebhooksOptions = {
  rounds?: number
  warmupRounds?: number
  /**
   * Copies of the delivery template in one timed batch at a concurrency, each with its own tag (so
   * every copy is new events of new inquiries), one after another in the simulator's order. Long
   * batches hold still: one copy lasts about 0.1 s on a server with 16 in flight. Warm-up batches are
   * one copy. Default 2 one at a time and 10 with more in flight (each batch about 0.7 s or more on a
   * server at 250 events/s one at a time, 1 s or more at 860 events/s with 16 in flight).
   */
  batchCopies?: (concurrency: number) => number
  /**
   * How many deliveries are processed at once, each measured on every side: one at a time (a
   * provider that waits for each answer) and several in flight (a webhook endpoint receives
   * concurrent requests). The largest is also the server's pool size. Default `[1, 16]`.
   */
  concurrencies?: number[]
  /** Inquiries per catalogue scenario behind the delivery template. */
  inquiries?: number
  /**
   * A PostgreSQL server to measure as well. Default `process.env.DATABASE_URL`; when unset, a
   * throwaway cluster is started if Debian's PostgreSQL is installed (see `scripts/postgres-cluster.sh`).
   */
  databaseUrl?: string
}

const goalServerEventsPerSecond = 1_000

type Delivery = { headers: Headers; rawBody: string }

type Side = {
  name: string
  label: string
  store: KycStore<unknown>
  onEvent: WebhookEventHandler<unknown>
  /**
   * Seconds the server's backends serving this side ran and waited to run so far, read from `/proc`
   * (the server runs on this machine); `undefined` where that cannot be read (PGlite runs in this process).
   */
  backendTimes?: () => Promise<ProcessTimes | undefined>
  close: () => Promise<void>
}

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 on Linux). */
const clockTicksPerSecond = 100

/** CPU seconds used (user + system), and seconds spent runnable but waiting for a core. */
type ProcessTimes = { cpuSeconds: number; waitingSeconds: number }

/**
 * Seconds the thread or process behind a `/proc` path waited for a core while runnable: the second
 * field of its `schedstat` (nanoseconds); `undefined` when it cannot be read (not Linux).
 */
async function runQueueWaitSeconds(procPath: string): Promise<number | undefined> {
  try {
    const fields = (await readFile(`${procPath}/schedstat`, 'utf8')).split(' ')
    return Number(fields[1]) / 1e9
  } catch {
    return undefined
  }
}

/**
 * Ticks the whole machine's cores were busy (not idle, not waiting for I/O) and ticks in all, from
 * the first line of `/proc/stat`; `undefined` when it cannot be read (not Linux).
 */
async function machineTicks(): Promise<{ busy: number; total: number } | undefined> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number)
    const total = ticks.reduce((sum, value) => sum + value, 0)
    return { busy: total - ticks[3]! - ticks[4]!, total }
  } catch {
    return undefined
  }
}

/**
 * Times of the server processes behind `database`'s connections, from `/proc/<pid>/stat` and
 * `schedstat`; `undefined` when a process cannot be read (a remote server, not Linux).
 */
export async function serverBackendTimes(database: SqlExecutor): Promise<ProcessTimes | undefined> {
  const rows = await database.query<{ pid: number }>({
    name: 'bench: backends of this pool',
    text: `SELECT pid FROM pg_stat_activity WHERE application_name = 'openkyc' AND datname = current_database()`,
    values: [],
  })
  let ticks = 0
  let waitingSeconds = 0
  for (const { pid } of rows) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      return undefined
    }
    const waiting = await runQueueWaitSeconds(`/proc/${pid}`)
    if (waiting === undefined) return undefined
    waitingSeconds += waiting
  }
  return { cpuSeconds: ticks / clockTicksPerSecond, waitingSeconds }
}

/**
 * The template deliveries made new for one batch, `copies` times over: every inquiry and event id
 * gets the batch's tag and the copy's number (so each event is new to the inbox and each inquiry a
 * new verification that moves forward through its real event sequence), re-signed as Persona signs.
 * The copies follow each other, each in the simulator's order.
 */
export function freshBatch(template: readonly CapturedWebhook[], tag: string, copies: number): Delivery[] {
  return Array.from({ length: copies }, (_, copy) =>
    template.map((delivery) => {
      const rawBody = delivery.rawBody.replace(/\b(inq|evt)_[A-Za-z0-9]+/g, (id) => `${id}${tag}x${copy}`)
      const headers = new Headers(delivery.headers)
      headers.set(
        'persona-signature',
        signTimestampedPayload({ rawBody, secrets: personaTestCredentials.webhookSecret }),
      )
      return { headers, rawBody }
    }),
  ).flat()
}

/**
 * The row's workload: genuine Persona deliveries from the simulator's log that carry an event, in
 * the simulator's order, with the verification of each (the pipeline runs one verification's events
 * one after another, so how many distinct ones are in flight bounds the store's concurrency), and an
 * adapter that checks their signatures against the wall clock (batches are signed with it).
 *
 * @example
 * const { adapter, template } = await persistedDeliveryTemplate(2)
 * const batch = freshBatch(template, 'R0', 10)
 */
export async function persistedDeliveryTemplate(inquiries: number) {
  const { simulator, deliveries } = await collectPersonaDeliveries(inquiries)
  const adapter = createBenchPersona({ fetch: simulator.fetch, now: Date.now }, { rateLimit: false })
  const template: CapturedWebhook[] = []
  const verificationIds: string[] = []
  for (const delivery of deliveries) {
    const events = await adapter.parseWebhook({ headers: delivery.headers, rawBody: delivery.rawBody })
    if (events.length === 0) continue
    template.push(delivery)
    verificationIds.push(events[0]!.verification?.id ?? events[0]!.id)
  }
  return { adapter, template, verificationIds }
}

async function postgresSide(
  name: string,
  label: string,
  database: SqlExecutor,
  auditChains?: number,
): Promise<Side> {
  // Its own schema per side: a schema keeps one chain layout.
  const schema = auditChains === 1 ? 'openkyc_bench_one_chain' : 'openkyc_bench'
  await migrate(database, { schema })
  await database.execute(
    `CREATE TABLE IF NOT EXISTS ${schema}.effect (event_id text PRIMARY KEY, verification_id text)`,
    'create bench effect table',
  )
  const store = await createPostgresStore({
    database,
    schema,
    ...(auditChains === undefined ? {} : { auditChains }),
  })
  return {
    name,
    label,
    store: store as KycStore<unknown>,
    ...(database.kind === 'server' ? { backendTimes: () => serverBackendTimes(database) } : {}),
    async onEvent(processed, { handle }) {
      await (handle as { query(text: string, values: unknown[]): Promise<unknown> }).query(
        `INSERT INTO ${schema}.effect (event_id, verification_id) VALUES ($1, $2)`,
        [processed.event.id, processed.verification?.id ?? null],
      )
    },
    close: () => database.close(),
  }
}

/**
 * What one series (a side at a concurrency) summed over its timed batches: events, wall time and this
 * process's CPU; the server's backends' CPU and waiting time where `/proc` shows them; time this
 * process's main thread waited for a core, and the whole machine's busy and total ticks (Linux); and
 * distinct verifications in flight integrated over the window (count × ms).
 */
type SeriesTotals = {
  events: number
  wallMs: number
  nodeCpuMs: number
  distinctVerificationMs: number
  backendCpuMs?: number
  backendWaitingMs?: number
  nodeWaitingMs?: number
  machineBusyTicks?: number
  machineTotalTicks?: number
}

/**
 * Benchmark: persisted webhook events per second through the transactional pipeline (claim, apply
 * forward-only, audit entry, the application's handler writing one row in the same transaction,
 * complete, commit) on PGlite and on a PostgreSQL server, each against the memory store in the same
 * run, with per-event latency percentiles.
 */
export async function runPersistedWebhooks(options: PersistedWebhooksOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now()
  const rounds = options.rounds ?? 5
  const warmupRounds = options.warmupRounds ?? 1
  const batchCopies = options.batchCopies ?? ((concurrency: number) => (concurrency === 1 ? 2 : 10))
  const concurrencies = options.concurrencies ?? [1, 16]
  const poolSize = Math.max(...concurrencies)
  const loadAtStart = loadavg()[0]!
  let throwaway: ThrowawayPostgres | undefined
  let databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL
  if (databaseUrl === undefined || databaseUrl === '') {
    throwaway = await startThrowawayPostgres()
    databaseUrl = throwaway?.url
  }
  const { adapter, template, verificationIds } = await persistedDeliveryTemplate(options.inquiries ?? 2)

  const memory = createMemoryStore({ maxEntries: 1_000_000, maxAuditEntries: 1_000_000 })
  const sides: Side[] = [
    {
      name: 'memory',
      label: 'memory store (baseline)',
      store: memory as KycStore<unknown>,
      async onEvent(processed, { transaction }) {
        await transaction.keyValue.set('bench-effect', processed.event.id, processed.verification?.id ?? null)
      },
      close: async () => {},
    },
    await postgresSide('pglite', 'PGlite (in process, in memory)', await openDatabase()),
  ]
  if (databaseUrl !== undefined && databaseUrl !== '') {
    // The same server with the audit log as one hash chain (migration 1's layout): the global
    // serialisation point the default 16 chains remove, measured in the same run.
    sides.push(
      await postgresSide(
        'server-one-chain',
        'PostgreSQL server, one audit chain',
        await openDatabase({ url: databaseUrl, maxConnections: poolSize }),
        1,
      ),
      await postgresSide(
        'server',
        'PostgreSQL server (16 audit chains)',
        await openDatabase({ url: databaseUrl, maxConnections: poolSize }),
      ),
    )
  }

  /** One series per side and concurrency. */
  const seriesKey = (side: Side, concurrency: number) => `${side.name} ${concurrency}`
  const rates = new Map<string, number[]>()
  const ratios = new Map<string, number[]>()
  const latencies = new Map<string, number[]>()
  // What each series summed while timing (see SeriesTotals).
  const totals = new Map<string, SeriesTotals>()
  const totalsOf = (key: string): SeriesTotals => {
    let series = totals.get(key)
    if (series === undefined) {
      series = { events: 0, wallMs: 0, nodeCpuMs: 0, distinctVerificationMs: 0 }
      totals.set(key, series)
    }
    return series
  }
  // One delivery's time in parts, read from the handler's start and end only (wrapping the store to
  // note when a transaction starts made this process's CPU per event 0.1–0.3 ms dearer): until the
  // handler (parse, verify, its verification's earlier events, a pooled connection, claim,
  // forward-only write), the handler, and after it (audit entry, commit).
  const parts = new Map<string, { untilHandler: number[]; handler: number[]; committed: number[] }>()
  const push = (series: Map<string, number[]>, key: string, ...values: number[]) => {
    series.set(key, [...(series.get(key) ?? []), ...values])
  }
  let events = 0
  try {
    for (const concurrency of concurrencies) {
      for (let round = 0; round < warmupRounds + rounds; round += 1) {
        const roundRates = new Map<string, number>()
        // Rotate the order each round so drift in machine speed hits every side alike.
        const order = sides.map((_, index) => sides[(index + round) % sides.length]!)
        for (const side of order) {
          const pipeline = createWebhookPipeline({
            adapter,
            store: side.store,
          })
          const copies = round < warmupRounds ? 1 : batchCopies(concurrency)
          const batch = freshBatch(template, `C${concurrency}R${round}${side.name}`, copies)
          const key = seriesKey(side, concurrency)
          const split = parts.get(key) ?? { untilHandler: [], handler: [], committed: [] }
          parts.set(key, split)
          let next = 0
          let processed = 0
          const times: number[] = []
          const verificationsInFlight = new Map<string, number>()
          let distinctMs = 0
          let lastChange = performance.now()
          const countInFlight = (verification: string, change: number) => {
            const now = performance.now()
            distinctMs += verificationsInFlight.size * (now - lastChange)
            lastChange = now
            const count = (verificationsInFlight.get(verification) ?? 0) + change
            if (count === 0) verificationsInFlight.delete(verification)
            else verificationsInFlight.set(verification, count)
          }
          const backendBefore = await side.backendTimes?.()
          const machineBefore = await machineTicks()
          const waitingBefore = await runQueueWaitSeconds('/proc/self')
          const cpuBefore = process.cpuUsage()
          const batchStarted = performance.now()
          await Promise.all(
            Array.from({ length: concurrency }, async () => {
              for (let index = next++; index < batch.length; index = next++) {
                const delivery = batch[index]!
                const verification = `${verificationIds[index % template.length]} ${Math.floor(index / template.length)}`
                countInFlight(verification, 1)
                const eventStarted = performance.now()
                let handlerStarted = Number.NaN
                let handlerEnded = Number.NaN
                const outcome = await pipeline.handle(delivery, {
                  async onEvent(event, context) {
                    handlerStarted = performance.now()
                    await side.onEvent(event, context)
                    handlerEnded = performance.now()
                  },
                })
                const eventEnded = performance.now()
                countInFlight(verification, -1)
                times.push(eventEnded - eventStarted)
                if (round >= warmupRounds) {
                  split.untilHandler.push(handlerStarted - eventStarted)
                  split.handler.push(handlerEnded - handlerStarted)
                  split.committed.push(eventEnded - handlerEnded)
                }
                processed += outcome.events.length
              }
            }),
          )
          const wallMs = performance.now() - batchStarted
          const rate = processed / (wallMs / 1000)
          const cpu = process.cpuUsage(cpuBefore)
          const waitingAfter = await runQueueWaitSeconds('/proc/self')
          const machineAfter = await machineTicks()
          const backendAfter = backendBefore === undefined ? undefined : await side.backendTimes?.()
          if (round < warmupRounds) continue
          const series = totalsOf(key)
          series.nodeCpuMs += (cpu.user + cpu.system) / 1000
          series.events += processed
          series.wallMs += wallMs
          series.distinctVerificationMs += distinctMs
          if (backendBefore !== undefined && backendAfter !== undefined) {
            series.backendCpuMs =
              (series.backendCpuMs ?? 0) + (backendAfter.cpuSeconds - backendBefore.cpuSeconds) * 1000
            series.backendWaitingMs =
              (series.backendWaitingMs ?? 0) +
              (backendAfter.waitingSeconds - backendBefore.waitingSeconds) * 1000
          }
          if (waitingBefore !== undefined && waitingAfter !== undefined) {
            series.nodeWaitingMs = (series.nodeWaitingMs ?? 0) + (waitingAfter - waitingBefore) * 1000
          }
          if (machineBefore !== undefined && machineAfter !== undefined) {
            series.machineBusyTicks = (series.machineBusyTicks ?? 0) + machineAfter.busy - machineBefore.busy
            series.machineTotalTicks =
              (series.machineTotalTicks ?? 0) + machineAfter.total - machineBefore.total
          }
          events += processed
          roundRates.set(side.name, rate)
          push(rates, key, rate)
          push(latencies, key, ...times)
        }
        if (round < warmupRounds) continue
        for (const side of sides) {
          push(ratios, seriesKey(side, concurrency), roundRates.get(side.name)! / roundRates.get('memory')!)
        }
      }
    }
  } finally {
    for (const side of sides) await side.close()
    await throwaway?.stop()
  }
  const loadAtEnd = loadavg()[0]!

  const percentile = (values: number[], fraction: number) => {
    const sorted = [...values].sort((left, right) => left - right)
    return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN
  }
  const figures: Figure[] = []
  for (const concurrency of concurrencies) {
    const inFlight = concurrency === 1 ? 'one at a time' : `${concurrency} in flight`
    const memoryRate = summarize(rates.get(seriesKey(sides[0]!, concurrency))!).median
    for (const side of sides) {
      const key = seriesKey(side, concurrency)
      const rate = summarize(rates.get(key)!).median
      const times = latencies.get(key)!
      const isServer = side.name === 'server'
      figures.push(
        {
          name: `${side.label}, ${inFlight}: persisted events/s (handler in the transaction)`,
          value: rate,
          unit: 'events/s',
          ...(side.name === 'memory' ? {} : { baseline: memoryRate }),
          ...(isServer
            ? {
                goal: `≥ ${goalServerEventsPerSecond.toLocaleString('en-US')}`,
                met: rate >= goalServerEventsPerSecond,
              }
            : {}),
        },
        ...(side.name === 'memory'
          ? []
          : [
              {
                name: `${side.label}, ${inFlight}: throughput ÷ memory store`,
                value: summarize(ratios.get(key)!).median,
                unit: 'ratio',
                ratio: summarize(ratios.get(key)!).median,
              },
            ]),
        { name: `${side.label}, ${inFlight}: p50 per delivery`, value: percentile(times, 0.5), unit: 'ms' },
        { name: `${side.label}, ${inFlight}: p99 per delivery`, value: percentile(times, 0.99), unit: 'ms' },
        {
          name: `${side.label}, ${inFlight}: CPU of this process per event${side.name === 'pglite' ? ' (PGlite included)' : ''}`,
          value: totalsOf(key).nodeCpuMs / totalsOf(key).events,
          unit: 'ms',
        },
        ...(totalsOf(key).backendCpuMs !== undefined
          ? [
              {
                name: `${side.label}, ${inFlight}: CPU of the server's backends per event`,
                value: totalsOf(key).backendCpuMs! / totalsOf(key).events,
                unit: 'ms',
              },
            ]
          : []),
      )
    }
  }
  const mostInFlight = Math.max(...concurrencies)
  const distinctInWindow = Array.from(
    { length: Math.max(1, verificationIds.length - mostInFlight + 1) },
    (_, start) => new Set(verificationIds.slice(start, start + mostInFlight)).size,
  )
  // What bounds each server side, from the same timed batches.
  const boundNotes: string[] = []
  for (const side of sides.filter((candidate) => candidate.name.startsWith('server'))) {
    for (const concurrency of concurrencies) {
      const key = seriesKey(side, concurrency)
      const series = totalsOf(key)
      const { wallMs } = series
      const nodeBusy = series.nodeCpuMs / wallMs
      const backendBusy = (series.backendCpuMs ?? Number.NaN) / wallMs
      const split = parts.get(key)!
      const median = (values: number[]) => percentile(values, 0.5).toFixed(2)
      const perRound = rates.get(key)!
      const share = (part: number | undefined, whole: number | undefined) =>
        part === undefined || whole === undefined ? 'n/a' : `${((part / whole) * 100).toFixed(0)} %`
      boundNotes.push(
        `Bounds, ${side.label}, ${concurrency} in flight: rate per round ${Math.min(...perRound).toFixed(0)}–${Math.max(...perRound).toFixed(0)} events/s; busy (CPU ÷ wall) this process ${nodeBusy.toFixed(2)} and the backends ${backendBusy.toFixed(2)} cores, together ${(((nodeBusy + backendBusy) / cpus().length) * 100).toFixed(0)} % of ${cpus().length} cores, the whole machine ${share(series.machineBusyTicks, series.machineTotalTicks)} busy; waiting for a core (runnable) this process's main thread ${share(series.nodeWaitingMs, wallMs)} and the backends ${((series.backendWaitingMs ?? Number.NaN) / wallMs).toFixed(2)} cores of the window; ${(series.distinctVerificationMs / wallMs).toFixed(1)} distinct verifications in flight on average; p50 of a delivery's parts: ${median(split.untilHandler)} ms until the handler (parse, verify, its verification's earlier events, a pooled connection, claim and forward-only write), ${median(split.handler)} ms handler, ${median(split.committed)} ms audit entry and commit.`,
      )
    }
  }
  const notes = [
    `${template.length} distinct genuine Persona deliveries (one event each, from the simulator's log), re-tagged and re-signed for each copy in a batch, so every event is new and every inquiry a new verification moving through its real event sequence; a timed batch is ${concurrencies.map((concurrency) => `${batchCopies(concurrency)} copies (${batchCopies(concurrency) * template.length} events) with ${concurrency} in flight`).join(', ')}, one copy after another.`,
    `The deliveries come in the simulator's order, each inquiry's events together: ${new Set(verificationIds).size} verifications, and any ${mostInFlight} consecutive deliveries belong to ${Math.min(...distinctInWindow)}–${Math.max(...distinctInWindow)} of them. The pipeline runs one verification's events one after another, so with ${mostInFlight} in flight that many transactions at most run at once; the rest wait in the process.`,
    `${rounds} rounds (after ${warmupRounds} warm-up of one copy) per side and concurrency (${concurrencies.join(', ')} deliveries in flight), sides rotating; ${events} events persisted while timing.`,
    ...boundNotes,
    'Per event on PostgreSQL, one transaction in three round trips: BEGIN with the claim, which reads and locks the verification (one batch, one Sync); the forward-only write with the handler\'s row; the audit entry (hash chain: 16 interleaved chains by default, one chain on the "one audit chain" side) with the COMMIT. Events of one verification wait for each other in the pipeline instead of on the row lock. The memory store claims before its transaction and completes the claim in it.',
    "CPU per event: this process from process.cpuUsage() (the pipeline, the adapter, the driver; PGlite too on its side), the server's backends from /proc/<pid>/stat (only when the server runs on this machine), both while timing.",
    `Machine load (1-minute load average, ${cpus().length} cores, shared): ${loadAtStart.toFixed(1)} at the start, ${loadAtEnd.toFixed(1)} at the end; absolute rates move with it, the ratios to the memory store (measured in the same rounds) less so.`,
    'Latency is per delivery (parse, verify, and the whole store path), measured under that concurrency.',
  ]
  if (throwaway !== undefined)
    notes.push(
      'Server: a throwaway cluster started for this run (scripts/postgres-cluster.sh), default settings, fsync on.',
    )
  if (!sides.some((side) => side.name === 'server')) {
    notes.push(
      "No PostgreSQL server measured: set DATABASE_URL, or install Debian's postgresql (a throwaway cluster is then started for the run).",
    )
  }
  return {
    id: 'persisted-webhooks',
    title: 'Persisted webhook events per second: @openkyc/postgres on PGlite and on a server',
    baseline:
      'the same pipeline and handler on the memory store (createMemoryStore), same deliveries, same run',
    figures,
    notes,
    durationSeconds: (performance.now() - started) / 1000,
  }
}
