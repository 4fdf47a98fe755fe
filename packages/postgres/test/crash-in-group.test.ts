import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { applyVerificationUpdate, type Verification, verificationProgressKey } from '@openkyc/core'
import { createPersona } from '@openkyc/persona'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPostgresStore, openDatabase, type SqlExecutor } from '../src/index.js'
import { freshSchema } from './databases.js'
import {
  createPersonaStorm,
  type Storm,
  type StormDelivery,
  stormCredentials,
} from './storm/persona-storm.js'
import { type Receiver, startReceiver, stopReceiver } from './storm/storm-driver.js'

// A SIGKILL that lands while a group of one verification's events is open in one transaction (see
// `maxEventsPerTransaction`), made to happen rather than hoped for: the child (`group-receiver.mjs`,
// `createKyc` over `openPostgresStore`) gets one verification's deliveries in a burst, holds the
// first event's handler until all of them wait in the pipeline, and stops in the last event's
// handler once it shares its transaction with another event, saying so; the test kills it then. The
// crash tests (`crash.test.ts`) kill at random moments, and a killed group leaves no row to count.

const groupReceiver = fileURLToPath(new URL('./storm/group-receiver.mjs', import.meta.url))

/** One delivery of the burst, with the events the adapter yields from it. */
type BurstDelivery = StormDelivery & { eventIds: string[] }

/** The events the child reported from the open transaction when it stopped. */
type OpenGroup = { eventId: string; txid: string }[]

/** What one HTTP attempt got: a 2xx outcome, another status, or no answer (the process died). */
type Answer =
  | { ok: true; events: string[]; duplicates: string[] }
  | { ok: false; status: number | 'no answer' }

/** The Persona adapter that parses the storm's deliveries, at the storm's clock. */
const stormAdapter = (storm: Storm) =>
  createPersona({
    apiKey: stormCredentials.apiKey,
    templateId: stormCredentials.templateId,
    webhookSecrets: [stormCredentials.webhookSecret],
    env: {},
    now: () => storm.nowMs,
  })

/**
 * The verification of `storm` with the most deliveries, its deliveries (each with its event ids),
 * and the state its events fold to.
 */
async function burstOf(storm: Storm) {
  const adapter = stormAdapter(storm)
  const byVerification = new Map<string, BurstDelivery[]>()
  for (const delivery of storm.deliveries) {
    const events = await adapter.parseWebhook({
      headers: new Headers(delivery.headers),
      rawBody: delivery.rawBody,
    })
    const list = byVerification.get(delivery.verificationId) ?? []
    list.push({ ...delivery, eventIds: events.map((event) => event.id) })
    byVerification.set(delivery.verificationId, list)
  }
  const deliveries = [...byVerification.values()].sort((left, right) => right.length - left.length)[0]!
  const verificationId = deliveries[0]!.verificationId
  const final = storm.truth.finalStates.get(`persona\u0000${verificationId}`)!
  return { deliveries, verificationId, final }
}

async function send(port: number, delivery: StormDelivery): Promise<Answer> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/webhooks/persona`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.rawBody,
      signal: AbortSignal.timeout(30_000),
    })
    const text = await response.text()
    if (!response.ok) return { ok: false, status: response.status }
    return { ok: true, ...(JSON.parse(text) as { events: string[]; duplicates: string[] }) }
  } catch {
    return { ok: false, status: 'no answer' }
  }
}

/** Waits until the child reports the open group (or fails with what it printed). */
async function openGroupOf(receiver: Receiver): Promise<OpenGroup> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const line = receiver.lines.find((printed) => printed.startsWith('{"group"'))
    if (line !== undefined) return (JSON.parse(line) as { group: OpenGroup }).group
    if (receiver.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the receiver never stopped inside a group: ${receiver.stderr.join('')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** What the database holds about the burst's verification and events. */
async function committed(database: SqlExecutor, schema: string, verificationId: string) {
  const store = await createPostgresStore({ database, schema })
  const effects = await database.query<{ event_id: string; transaction_id: string }>({
    name: 'group effects',
    text: `SELECT event_id, transaction_id::text AS transaction_id FROM "${schema}".storm_effect`,
    values: [],
  })
  const moves = await database.query<{ transaction_id: string; backward: boolean }>({
    name: 'group moves',
    text: `SELECT transaction_id::text AS transaction_id,
  (old_progress IS NOT NULL AND new_progress COLLATE "C" < old_progress COLLATE "C") AS backward
FROM "${schema}".storm_move`,
    values: [],
  })
  const inbox = await database.query<{ event_id: string; state: string }>({
    name: 'group inbox',
    text: `SELECT event_id, state FROM "${schema}".webhook_inbox ORDER BY event_id COLLATE "C"`,
    values: [],
  })
  const audited = await database.query<{ event_id: string | null }>({
    name: 'group audit',
    text: `SELECT entry->>'eventId' AS event_id FROM "${schema}".audit_log ORDER BY sequence`,
    values: [],
  })
  const stored = await store.verifications.get({ provider: 'persona', id: verificationId })
  return {
    effects,
    moves,
    inbox,
    auditedEvents: audited.map((row) => row.event_id),
    progress: stored === undefined ? undefined : verificationProgressKey(stored),
    auditValid: (await store.verifyAuditChain()).valid,
  }
}

const sorted = (values: Iterable<string>) => [...values].sort()

/**
 * Kills the child inside an open group, inspects the database, restarts the child, redelivers what
 * was not answered 2xx (and once more what was), and inspects again. `withDatabase` runs `inspect`
 * on the database while no child uses it (PGlite's directory) or beside it (the server).
 */
async function killInsideGroup(options: {
  storm: Storm
  environment: Record<string, string>
  schema: string
  withDatabase: <T>(inspect: (database: SqlExecutor) => Promise<T>) => Promise<T>
}) {
  const { deliveries, verificationId, final } = await burstOf(options.storm)
  const eventIds = deliveries.flatMap((delivery) => delivery.eventIds)
  // One event per delivery, several deliveries: the first alone, the rest queue and group.
  expect(deliveries.length).toBeGreaterThanOrEqual(3)
  expect(eventIds).toHaveLength(deliveries.length)
  const eventOf = (delivery: BurstDelivery) => delivery.eventIds[0]!

  const holding = await startReceiver(
    { ...options.environment, STORM_HOLD_EVENTS: String(eventIds.length) },
    groupReceiver,
  )
  const answers = deliveries.map((delivery) => send(holding.port, delivery))
  const group = await openGroupOf(holding)
  await stopReceiver(holding, 'SIGKILL')
  const first = await Promise.all(answers)

  // The kill landed inside one transaction holding several events: every event but the first one,
  // whose own transaction committed and was answered before the group began.
  const answered = deliveries.filter((_, index) => first[index]!.ok)
  const unanswered = deliveries.filter((_, index) => !first[index]!.ok)
  expect(answered).toHaveLength(1)
  expect(first.filter((answer) => !answer.ok)).toEqual(
    unanswered.map(() => ({ ok: false, status: 'no answer' })),
  )
  expect(group.length).toBe(eventIds.length - 1)
  expect(sorted(group.map((handled) => handled.eventId))).toEqual(sorted(unanswered.map(eventOf)))
  expect(new Set(group.map((handled) => handled.txid)).size).toBe(1)
  const killedTransaction = group[0]!.txid

  // Nothing of the killed transaction is committed: only the answered event's work is there.
  const answeredEvent = eventOf(answered[0]!)
  const afterKill = await options.withDatabase((database) =>
    committed(database, options.schema, verificationId),
  )
  expect(afterKill.effects.map((row) => row.event_id)).toEqual([answeredEvent])
  expect(afterKill.effects.filter((row) => row.transaction_id === killedTransaction)).toEqual([])
  expect(afterKill.moves.filter((row) => row.transaction_id === killedTransaction)).toEqual([])
  expect(afterKill.inbox).toEqual([{ event_id: answeredEvent, state: 'completed' }])
  expect(afterKill.auditedEvents.filter((id) => id !== answeredEvent)).toEqual([])
  expect(afterKill.auditedEvents).toHaveLength(afterKill.moves.length)
  const answeredState = await foldOf(options.storm, answered)
  expect(afterKill.progress).toBe(
    answeredState === undefined ? undefined : verificationProgressKey(answeredState),
  )
  expect(afterKill.auditValid).toBe(true)

  // Restart; the provider redelivers what was not answered 2xx (together, as it would), and the
  // answered delivery once more.
  const restarted = await startReceiver(options.environment, groupReceiver)
  let second: Answer[]
  try {
    second = await Promise.all([...unanswered, ...answered].map((delivery) => send(restarted.port, delivery)))
  } finally {
    await stopReceiver(restarted, 'SIGTERM')
  }
  // Processed, not answered as duplicates of the claims the killed transaction made.
  expect(second).toEqual([
    ...unanswered.map((delivery) => ({ ok: true, events: [eventOf(delivery)], duplicates: [] })),
    { ok: true, events: [], duplicates: [answeredEvent] },
  ])

  const end = await options.withDatabase((database) => committed(database, options.schema, verificationId))
  // Every event's effect exactly once, the final state the one every order folds to, never a
  // backward write, every event completed in the inbox, the chain valid.
  expect(sorted(end.effects.map((row) => row.event_id))).toEqual(sorted(eventIds))
  expect(end.effects.filter((row) => row.transaction_id === killedTransaction)).toEqual([])
  expect(end.progress).toBe(final.progress)
  expect(end.moves.filter((row) => row.backward)).toEqual([])
  expect(end.inbox).toEqual(sorted(eventIds).map((id) => ({ event_id: id, state: 'completed' })))
  // One audit entry per write of the verification (a stale event writes nothing, audits nothing).
  const audited = end.auditedEvents.filter((id): id is string => id !== null)
  expect(audited).toHaveLength(end.moves.length)
  expect(new Set(audited).size).toBe(audited.length)
  expect(end.auditValid).toBe(true)
  return { events: eventIds.length, group: group.length }
}

/** The state `deliveries`' events fold to (forward-only), or undefined when they carry none. */
async function foldOf(storm: Storm, deliveries: StormDelivery[]): Promise<Verification | undefined> {
  const adapter = stormAdapter(storm)
  let state: Verification | undefined
  for (const delivery of deliveries) {
    const events = await adapter.parseWebhook({
      headers: new Headers(delivery.headers),
      rawBody: delivery.rawBody,
    })
    for (const event of events) {
      if (event.verification !== undefined) state = applyVerificationUpdate(state, event.verification)
    }
  }
  return state
}

describe('SIGKILL inside an open group of one verification’s events', () => {
  let storm: Storm
  beforeAll(async () => {
    storm = await createPersonaStorm(4)
  })

  describe('on PGlite with a data directory', () => {
    let directory: string
    beforeAll(async () => {
      directory = mkdtempSync(join(tmpdir(), 'openkyc-pglite-group-'))
      // PGlite's first start in a directory runs initdb: here, not in the test's time.
      const database = await openDatabase({ dataDir: directory })
      await database.close()
    })
    afterAll(() => rmSync(directory, { recursive: true, force: true }))

    it('commits nothing of the killed group; after a restart the redeliveries are processed, each effect once', async () => {
      const schema = freshSchema()
      const run = await killInsideGroup({
        storm,
        schema,
        environment: {
          STORM_DATA_DIR: directory,
          STORM_SCHEMA: schema,
          STORM_SECRET: stormCredentials.webhookSecret,
        },
        async withDatabase(inspect) {
          const database = await openDatabase({ dataDir: directory })
          try {
            return await inspect(database)
          } finally {
            await database.close()
          }
        },
      })
      console.info(`PGlite kill inside a group: ${JSON.stringify(run)}`)
    }, 120_000)
  })

  const url = process.env.DATABASE_URL
  describe.runIf(url !== undefined && url !== '')('on the PostgreSQL server', () => {
    let database: SqlExecutor
    beforeAll(async () => {
      database = await openDatabase({ url: url! })
    })
    afterAll(async () => {
      await database?.close()
    })

    it('commits nothing of the killed group; after a restart the redeliveries are processed, each effect once', async () => {
      const schema = freshSchema()
      const run = await killInsideGroup({
        storm,
        schema,
        environment: {
          STORM_DATABASE_URL: url!,
          STORM_SCHEMA: schema,
          STORM_SECRET: stormCredentials.webhookSecret,
        },
        withDatabase: (inspect) => inspect(database),
      })
      console.info(`server kill inside a group: ${JSON.stringify(run)}`)
    }, 60_000)
  })
})
