import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPostgresStore, openDatabase, type SqlExecutor } from '../src/index.js'
import { freshSchema } from './databases.js'
import { createPersonaStorm, type Storm, shuffledStorm, stormCredentials } from './storm/persona-storm.js'
import { deliverStorm, killPoints, type Receiver, startReceiver, stopReceiver } from './storm/storm-driver.js'

// The crash and several-instances tests: real child processes running the Persona adapter, the
// transactional pipeline and this store, receiving a shuffled storm (every delivery 3×) over HTTP.
// The receiver imports the built packages: `pnpm --filter @openkyc/postgres test` builds first.

type Outcome = {
  lost: number
  duplicatedEffects: number
  missingEffects: number
  wrongStates: number
  backwardMoves: number
  auditValid: boolean
}

/** Compares what the database holds with the ground truth; never throws for a mismatch, counts it. */
async function inspect(database: SqlExecutor, schema: string, storm: Storm): Promise<Outcome> {
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
  return {
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
  const storm = shuffledStorm(options.storm.deliveries, 3, options.seed)
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
  if (receiver !== undefined) await stopReceiver(receiver, 'SIGTERM')
  return { stats, kills, deliveries: storm.length }
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
      const outcome = await inspect(database, schema, storm)
      console.info(
        `PGlite crash test: ${JSON.stringify({ ...run, ...outcome, verifications: storm.truth.finalStates.size, events: storm.truth.eventIds.size })}`,
      )
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
    const outcome = await inspect(database, schema, storm)
    console.info(
      `server crash test: ${JSON.stringify({ ...run, ...outcome, verifications: storm.truth.finalStates.size, events: storm.truth.eventIds.size })}`,
    )
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
    let next = 0
    const stats = await deliverStorm({
      storm: shuffledStorm(storm.deliveries, 3, 23),
      concurrency: 16,
      portFor: () => receivers[next++ % receivers.length]!.port,
    })
    await Promise.all(receivers.map((receiver) => stopReceiver(receiver, 'SIGTERM')))
    const outcome = await inspect(database, schema, storm)
    const [instances] = await database.query<{ count: number }>({
      name: 'count instances',
      text: `SELECT count(DISTINCT instance)::integer AS count FROM "${schema}".storm_effect`,
      values: [],
    })
    console.info(
      `several instances: ${JSON.stringify({ ...stats, ...outcome, instancesWithEffects: instances?.count })}`,
    )
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
