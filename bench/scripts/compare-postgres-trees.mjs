// Same-process A/B of `@openkyc/postgres` built in two checkouts (worktrees) of this repository, on one server:
//   DATABASE_URL=… node --expose-gc bench/scripts/compare-postgres-trees.mjs <tree A> <tree B> [rounds] [in flight]
//   (or scripts/with-postgres.sh node --expose-gc bench/scripts/compare-postgres-trees.mjs …, for a throwaway server)
// The persisted-webhooks row's workload and pipeline (tree A's bench and core), each side's store from its own tree's
// build (`pnpm --filter @openkyc/postgres build` in both), each in a fresh schema of its own. Sides alternate every
// round (A B, B A, …) after 2 warm-up rounds, so machine load moves both alike; each round is a batch of 10 copies
// of the delivery template. Prints per side: events/s over the timed batches, CPU per event of this process and
// of the side's backends (from /proc: the server must run on this machine).
import { createRequire } from 'node:module'
import { loadavg } from 'node:os'
import { resolve } from 'node:path'

const [treeA, treeB, roundsArgument = '20', concurrencyArgument = '16'] = process.argv.slice(2)
const rounds = Number(roundsArgument)
const concurrency = Number(concurrencyArgument)
const url = process.env.DATABASE_URL
if (treeA === undefined || treeB === undefined || !(rounds > 0) || !(concurrency > 0) || !url) {
  console.error('usage: DATABASE_URL=… compare-postgres-trees.mjs <tree A> <tree B> [rounds] [in flight]')
  process.exit(2)
}
const warmupRounds = 2
const copies = 10

const requireFrom = (tree) => createRequire(resolve(tree, 'bench', 'package.json'))
const benchA = resolve(treeA, 'bench', 'dist')
const { createWebhookPipeline } = await import(requireFrom(treeA).resolve('@openkyc/core'))
const { freshBatch, persistedDeliveryTemplate, serverBackendTimes } = await import(
  resolve(benchA, 'benchmarks/persisted-webhooks.js')
)
const { adapter, template } = await persistedDeliveryTemplate(2)

/** CPU milliseconds (user + system) of the server processes behind `database`'s connections. */
async function backendCpuMs(database) {
  const times = await serverBackendTimes(database)
  if (times === undefined)
    throw new Error('the server backends cannot be read from /proc: run the server on this machine')
  return times.cpuSeconds * 1000
}

async function side(name, tree) {
  const postgres = await import(requireFrom(tree).resolve('@openkyc/postgres'))
  const database = await postgres.openDatabase({ url, maxConnections: concurrency })
  const schema = `compare_${name}_${Date.now()}`
  await postgres.migrate(database, { schema })
  await database.execute(
    `CREATE TABLE ${schema}.effect (event_id text PRIMARY KEY, verification_id text)`,
    'create compare effect table',
  )
  const store = await postgres.createPostgresStore({ database, schema })
  return {
    name,
    tree,
    database,
    pipeline: createWebhookPipeline({ adapter, store }),
    async onEvent(processed, { handle }) {
      await handle.query(`INSERT INTO ${schema}.effect (event_id, verification_id) VALUES ($1, $2)`, [
        processed.event.id,
        processed.verification?.id ?? null,
      ])
    },
    events: 0,
    wallMs: 0,
    nodeCpuMs: 0,
    backendCpuMs: 0,
  }
}

const sides = [await side('a', treeA), await side('b', treeB)]
const loadAtStart = loadavg()[0]
for (let round = 0; round < warmupRounds + rounds; round += 1) {
  for (const current of round % 2 === 0 ? sides : [...sides].reverse()) {
    const batch = freshBatch(template, `R${round}${current.name}`, copies)
    let next = 0
    let processed = 0
    const backendBefore = await backendCpuMs(current.database)
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let index = next++; index < batch.length; index = next++) {
          const outcome = await current.pipeline.handle(batch[index], { onEvent: current.onEvent })
          processed += outcome.events.length
        }
      }),
    )
    const wallMs = performance.now() - started
    const cpu = process.cpuUsage(cpuBefore)
    const backendAfter = await backendCpuMs(current.database)
    if (round < warmupRounds) continue
    current.events += processed
    current.wallMs += wallMs
    current.nodeCpuMs += (cpu.user + cpu.system) / 1000
    current.backendCpuMs += backendAfter - backendBefore
  }
}
for (const current of sides) {
  const perEvent = (milliseconds) => (milliseconds / current.events).toFixed(3)
  console.log(
    `${current.name.toUpperCase()} (${current.tree}): ${current.events} events, ${((current.events / current.wallMs) * 1000).toFixed(0)} events/s; ` +
      `CPU per event: this process ${perEvent(current.nodeCpuMs)} ms, backends ${perEvent(current.backendCpuMs)} ms`,
  )
  await current.database.close()
}
const [a, b] = sides
console.log(
  `A ÷ B events/s ${(a.events / a.wallMs / (b.events / b.wallMs)).toFixed(3)}; ${concurrency} in flight, ${rounds} rounds; ` +
    `load average ${loadAtStart.toFixed(1)} → ${loadavg()[0].toFixed(1)}`,
)
