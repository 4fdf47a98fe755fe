import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPostgresStore, openDatabase, type SqlExecutor } from '../src/index.js'
import { freshSchema } from './databases.js'
import {
  burstStorm,
  createPersonaStorm,
  type Storm,
  seededRandom,
  stormCredentials,
} from './storm/persona-storm.js'
import {
  deliverStorm,
  groupsRetriedAlone,
  killPoints,
  type Receiver,
  startReceiver,
  stopReceiver,
} from './storm/storm-driver.js'

// The crash and several-instances tests: real child processes running the Persona adapter, the
// transactional pipeline and this store, receiving a storm (every delivery 3×: each verification's
// deliveries in a burst, the redeliveries scattered; see `burstStorm`) over HTTP.
// The receiver imports the built packages: `pnpm --filter @openkyc/postgres test` builds first.

type Outcome = {
  lost: number
  duplicatedEffects: number
  missingEffects: number
  wrongStates: number
  backwardMoves: number
  auditValid: boolean
}

/**
 * How the committed work went through the grouped path (not pass/fail by itself: the tests assert
 * these are not 0, so they cannot silently stop covering it).
 */
type Grouping = {
  /** Committed transactions that carried more than one event (a handler effect each). */
  groupedTransactions: number
  /** Events committed in those transactions. */
  eventsInGroups: number
  /** The most events one committed transaction carried. */
  largestGroup: number
  /** Verification writes made by the event claim's own statement (the claim carrying the update). */
  writesWithClaim: number
  /** Verification writes over a state the same transaction wrote already (a held verification). */
  writesOverHeld: number
}

/** Counts, from the rows the receivers' handler and observer wrote, what went through the grouped path. */
async function groupingOf(database: SqlExecutor, schema: string): Promise<Grouping> {
  const [groups] = await database.query<Omit<Grouping, 'writesWithClaim' | 'writesOverHeld'>>({
    name: 'count grouped transactions',
    text: `SELECT count(*)::integer AS "groupedTransactions", coalesce(sum(events), 0)::integer AS "eventsInGroups",
  coalesce(max(events), 0)::integer AS "largestGroup"
FROM (SELECT count(*) AS events FROM "${schema}".storm_effect GROUP BY transaction_id HAVING count(*) > 1) AS grouped`,
    values: [],
  })
  const [writes] = await database.query<Pick<Grouping, 'writesWithClaim' | 'writesOverHeld'>>({
    name: 'count grouped writes',
    text: `SELECT (SELECT count(*) FROM "${schema}".storm_move WHERE with_claim)::integer AS "writesWithClaim",
  (SELECT coalesce(sum(writes - 1), 0) FROM (SELECT count(*) AS writes FROM "${schema}".storm_move
    GROUP BY transaction_id, id) AS per_transaction)::integer AS "writesOverHeld"`,
    values: [],
  })
  return { ...groups!, ...writes! }
}

/** Compares what the database holds with the ground truth; never throws for a mismatch, counts it. */
async function inspect(
  database: SqlExecutor,
  schema: string,
  storm: Storm,
): Promise<Outcome & { grouping: Grouping }> {
  const store = await createPostgresStore({ database, schema })
  let wrongStates = 0
  let lost = 0
  for (const [key, truth] of storm.truth.finalStates) {
    const [provider, id] = key.split('\u0000') as [string, string]
    const stored = await store.verifications.get({ provider, id })
    if (stored === undefined) lost += 1
    else if (stored.status !== truth.status || stored.decision?.outcome !== truth.outcome) wrongStates += 1
  }
  const effects = await database.query<{ event_id: string; count: number }>({
    name: 'count effects',
    text: `SELECT event_id, count(*)::integer AS count FROM "${schema}".storm_effect GROUP BY event_id`,
    values: [],
  })
  const counts = new Map(effects.map((row) => [row.event_id, row.count]))
  let duplicatedEffects = 0
  let missingEffects = 0
  for (const eventId of storm.truth.eventIds) {
    const count = counts.get(eventId) ?? 0
    if (count === 0) missingEffects += 1
    if (count > 1) duplicatedEffects += count - 1
  }
  const [moves] = await database.query<{ backward: number }>({
    name: 'count backward moves',
    text: `SELECT count(*)::integer AS backward FROM "${schema}".storm_move
WHERE old_progress IS NOT NULL AND new_progress COLLATE "C" < old_progress COLLATE "C"`,
    values: [],
  })
  const audit = await store.verifyAuditChain()
  const grouping = await groupingOf(database, schema)
  return {
    grouping,
    lost,
    duplicatedEffects,
    missingEffects,
    wrongStates,
    backwardMoves: moves?.backward ?? -1,
    auditValid: audit.valid,
  }
}

/** Delivers the storm to one receiver, SIGKILLing it at `kills` random points and restarting it on the same database. */
async function crashRun(options: {
  storm: Storm
  kills: number
  seed: number
  environment: Record<string, string>
}) {
  const storm = burstStorm(options.storm.deliveries, 3, options.seed)
  const points = killPoints(storm.length, options.kills, options.seed)
  let receiver: Receiver | undefined = await startReceiver(options.environment)
  let restarting = false
  let kills = 0
  const stats = await deliverStorm({
    storm,
    concurrency: 8,
    portFor: () => receiver?.port,
    async afterAcknowledged(acknowledged) {
      if (restarting || points[0] === undefined || acknowledged < points[0]) return
      points.shift()
      restarting = true
      const killed = receiver!
      receiver = undefined
      await stopReceiver(killed, 'SIGKILL')
      kills += 1
      receiver = await startReceiver(options.environment)
      restarting = false
      if (process.env.STORM_DEBUG) console.info(`kill ${kills} at ${acknowledged} acknowledged`)
    },
  })
  if (receiver === undefined) throw new Error('the storm ended while no receiver was up')
  await stopReceiver(receiver, 'SIGTERM')
  // Only the last receiver stops cleanly and prints its count: the killed ones cannot.
  return {
    stats,
    kills,
    deliveries: storm.length,
    lastReceiverGroupsRetriedAlone: groupsRetriedAlone(receiver),
  }
}

/**
 * The storms send each verification's deliveries together (and 3× each), so some of them must have
 * been committed several to a transaction, with writes in the claim: asserted, so that these tests
 * cannot silently stop covering the grouped path. `overHeld`: also a write over a state the same
 * transaction wrote (one instance: certain; several instances: the others often got further already).
 */
function expectGroupedPath(grouping: Grouping, options: { overHeld: boolean }) {
  expect(grouping.groupedTransactions).toBeGreaterThan(0)
  expect(grouping.writesWithClaim).toBeGreaterThan(0)
  if (options.overHeld) expect(grouping.writesOverHeld).toBeGreaterThan(0)
}

describe('crash test on PGlite with a data directory', () => {
  let storm: Storm
  let directory: string
  beforeAll(async () => {
    storm = await createPersonaStorm(60)
    directory = mkdtempSync(join(tmpdir(), 'openkyc-pglite-crash-'))
    // PGlite's first start in a directory runs initdb (tens of seconds on a loaded machine): do it here.
    const database = await openDatabase({ dataDir: directory })
    await database.close()
  })
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  it('survives SIGKILL at random points: state equals ground truth, every effect exactly once, audit chain valid', async () => {
    const schema = freshSchema()
    const run = await crashRun({
      storm,
      kills: 3,
      seed: 7,
      environment: {
        STORM_DATA_DIR: directory,
        STORM_SCHEMA: schema,
        STORM_SECRET: stormCredentials.webhookSecret,
      },
    })
    expect(run.kills).toBe(3)
    expect(run.stats.acknowledged).toBe(run.deliveries)
    const database = await openDatabase({ dataDir: directory })
    try {
      const { grouping, ...outcome } = await inspect(database, schema, storm)
      console.info(
        `PGlite crash test: ${JSON.stringify({ ...run, ...outcome, ...grouping, verifications: storm.truth.finalStates.size, events: storm.truth.eventIds.size })}`,
      )
      expectGroupedPath(grouping, { overHeld: true })
      expect(outcome).toEqual({
        lost: 0,
        duplicatedEffects: 0,
        missingEffects: 0,
        wrongStates: 0,
        backwardMoves: 0,
        auditValid: true,
      })
    } finally {
      await database.close()
    }
    // Each restart boots PGlite's WASM PostgreSQL and recovers the directory: seconds each.
  }, 240_000)
})

const url = process.env.DATABASE_URL
describe.runIf(url !== undefined && url !== '')('on the PostgreSQL server', () => {
  let storm: Storm
  let database: SqlExecutor
  beforeAll(async () => {
    storm = await createPersonaStorm(200)
    database = await openDatabase({ url: url! })
  })
  afterAll(async () => {
    await database?.close()
  })

  it('crash test: SIGKILL at random points, restarts on the same database, nothing lost or duplicated', async () => {
    const schema = freshSchema()
    const run = await crashRun({
      storm,
      kills: 5,
      seed: 11,
      environment: {
        STORM_DATABASE_URL: url!,
        STORM_SCHEMA: schema,
        STORM_SECRET: stormCredentials.webhookSecret,
      },
    })
    expect(run.kills).toBe(5)
    expect(run.stats.acknowledged).toBe(run.deliveries)
    const { grouping, ...outcome } = await inspect(database, schema, storm)
    console.info(
      `server crash test: ${JSON.stringify({ ...run, ...outcome, ...grouping, verifications: storm.truth.finalStates.size, events: storm.truth.eventIds.size })}`,
    )
    expectGroupedPath(grouping, { overHeld: true })
    expect(outcome).toEqual({
      lost: 0,
      duplicatedEffects: 0,
      missingEffects: 0,
      wrongStates: 0,
      backwardMoves: 0,
      auditValid: true,
    })
  }, 180_000)

  it('several instances: 4 receivers on one server take the same storm concurrently, no verification moves backwards', async () => {
    const schema = freshSchema()
    const receivers: Receiver[] = []
    for (let index = 0; index < 4; index += 1) {
      receivers.push(
        await startReceiver({
          STORM_DATABASE_URL: url!,
          STORM_SCHEMA: schema,
          STORM_SECRET: stormCredentials.webhookSecret,
          STORM_INSTANCE: `instance-${index}`,
        }),
      )
    }
    // Each attempt to a receiver picked at random, as a load balancer does: a verification's events
    // reach several instances at once, and some of them the same one (which groups them).
    const route = seededRandom(29)
    const stats = await deliverStorm({
      storm: burstStorm(storm.deliveries, 3, 23),
      concurrency: 16,
      portFor: () => receivers[Math.floor(route() * receivers.length)]!.port,
    })
    await Promise.all(receivers.map((receiver) => stopReceiver(receiver, 'SIGTERM')))
    const retriedAlone = receivers.reduce((sum, receiver) => sum + groupsRetriedAlone(receiver), 0)
    const { grouping, ...outcome } = await inspect(database, schema, storm)
    const [instances] = await database.query<{ count: number }>({
      name: 'count instances',
      text: `SELECT count(DISTINCT instance)::integer AS count FROM "${schema}".storm_effect`,
      values: [],
    })
    console.info(
      `several instances: ${JSON.stringify({ ...stats, ...outcome, ...grouping, groupsRetriedAlone: retriedAlone, instancesWithEffects: instances?.count })}`,
    )
    expectGroupedPath(grouping, { overHeld: false })
    expect(instances?.count).toBe(4)
    expect(outcome).toEqual({
      lost: 0,
      duplicatedEffects: 0,
      missingEffects: 0,
      wrongStates: 0,
      backwardMoves: 0,
      auditValid: true,
    })
  }, 180_000)
})
