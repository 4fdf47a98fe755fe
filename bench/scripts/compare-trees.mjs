// Same-process A/B of one Persona adapter path built in two checkouts (worktrees) of this repository:
//   node --expose-gc --single-threaded-gc bench/scripts/compare-trees.mjs <tree A> <tree B> [create|routed|webhook]
// Both trees must be built (`pnpm --filter @openkyc/bench... build`). Each side loads its own tree's adapter
// and simulator (resolved from that tree's bench package), and the two sides run in alternating blocks in one
// process (`compareInterleaved` from tree A), so machine load moves both alike: on this shared machine the
// absolute CPU time of the same call moves by 30 % between processes, the A ÷ B ratio by about 0.01.
// `create`: a hosted Persona create (3,000 warm-up calls per side, 120 blocks of 20 on a settled heap).
// `routed`: the same hosted Persona create through each tree's routed `createKyc` client, configured as the
// routing-overhead row's (rule, coverage, sticky split over two providers, fallback; default memory store).
// `webhook`: `parseWebhook` of the signed inquiry deliveries with included verifications that the
// webhook-ingest row times (deliveries collected once, with tree A's simulator).
import { createRequire } from 'node:module'
import { resolve } from 'node:path'

const [treeA, treeB, mode = 'create'] = process.argv.slice(2)
if (treeA === undefined || treeB === undefined || !['create', 'routed', 'webhook'].includes(mode)) {
  console.error('usage: compare-trees.mjs <tree A> <tree B> [create|routed|webhook]')
  process.exit(2)
}

const load = async (tree) => {
  const bench = resolve(tree, 'bench')
  const require = createRequire(resolve(bench, 'package.json'))
  return {
    providers: await import(resolve(bench, 'dist/providers.js')),
    measure: await import(resolve(bench, 'dist/measure.js')),
    ingest: await import(resolve(bench, 'dist/benchmarks/webhook-ingest.js')),
    routingOverhead: await import(resolve(bench, 'dist/benchmarks/routing-overhead.js')),
    simulator: await import(require.resolve('@openkyc/simulator-persona')),
    core: await import(require.resolve('@openkyc/core')),
  }
}
const a = await load(treeA)
const b = await load(treeB)
const settings = { handoff: 'hosted-url', rateLimit: false }
// The row's routing (`personaRouting`: rule, coverage, the real split, fallback), from tree A's built bench (tree
// B's if A's predates it), used on both sides so the two trees' routers route alike and the script cannot drift
// from the row.
const personaRouting = a.routingOverhead.personaRouting ?? b.routingOverhead.personaRouting
if (mode === 'routed' && personaRouting === undefined) {
  console.error(
    "compare-trees.mjs routed: neither tree's bench/dist/benchmarks/routing-overhead.js exports personaRouting",
  )
  process.exit(2)
}
const digits = (value) => value.toFixed(4)

let result
if (mode === 'create' || mode === 'routed') {
  const directOf = (tree) => {
    const persona = tree.simulator.createPersonaSimulator({
      rateLimit: { limit: 1_000_000_000 },
      inquiryCreationQuota: false,
      webhook: { enabledEvents: [] },
    })
    return tree.providers.createBenchPersona(
      { fetch: persona.fetch, now: () => persona.clock.now() },
      settings,
    )
  }
  // The routed client of the routing-overhead row (bench/src/benchmarks/routing-overhead.ts).
  const routedOf = (tree) => {
    const persona = tree.simulator.createPersonaSimulator({
      rateLimit: { limit: 1_000_000_000 },
      inquiryCreationQuota: false,
      webhook: { enabledEvents: [] },
    })
    const context = { fetch: persona.fetch, now: () => persona.clock.now() }
    return tree.core.createKyc({
      adapters: {
        persona: tree.providers.createBenchPersona(context, settings),
        spare: tree.providers.createBenchPersona(context, settings),
      },
      env: {},
      routing: personaRouting(),
    })
  }
  const adapterOf = mode === 'routed' ? routedOf : directOf
  const adapterA = adapterOf(a)
  const adapterB = adapterOf(b)
  result = await a.measure.compareInterleaved({
    subject: (index) => adapterA.createVerification({ subjectReference: `tree-a-${index}`, country: 'DE' }),
    baseline: (index) => adapterB.createVerification({ subjectReference: `tree-b-${index}`, country: 'DE' }),
    rounds: 120,
    warmupRounds: 150,
    batch: 20,
    settleHeap: true,
  })
} else {
  const { simulator, deliveries } = await a.ingest.collectPersonaDeliveries(4)
  const heavy = deliveries.filter((delivery) => {
    const attributes = JSON.parse(delivery.rawBody).data?.attributes
    return (
      attributes?.name?.startsWith('inquiry.') === true &&
      (attributes.payload?.included ?? []).some((resource) => resource.type?.startsWith('verification/'))
    )
  })
  const context = { fetch: simulator.fetch, now: () => simulator.clock.now() }
  const adapterA = a.providers.createBenchPersona(context, settings)
  const adapterB = b.providers.createBenchPersona(context, settings)
  const parse = (adapter) => async (index) => {
    const delivery = heavy[index % heavy.length]
    await adapter.parseWebhook({ headers: delivery.headers, rawBody: delivery.rawBody })
  }
  result = await a.measure.compareInterleaved({
    subject: parse(adapterA),
    baseline: parse(adapterB),
    rounds: 20,
    warmupRounds: 4,
    batch: 1000,
    settleHeap: true,
  })
}
const { cpu } = result
console.log(
  `${mode}: A ${digits(cpu.subjectMs.median)} ms, B ${digits(cpu.baselineMs.median)} ms of CPU per call (medians); ` +
    `A ÷ B ${digits(cpu.subjectMs.median / cpu.baselineMs.median)}, per-block ratio ${digits(cpu.ratio.median)} ` +
    `(IQR ${digits(cpu.ratio.p25)}–${digits(cpu.ratio.p75)}); heap kept per call A ${(result.heapGrowth.subjectBytes / 1024).toFixed(1)} kB, ` +
    `B ${(result.heapGrowth.baselineBytes / 1024).toFixed(1)} kB`,
)
