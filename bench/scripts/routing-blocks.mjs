// Per-block analysis of the routing-overhead row's Persona comparison, in the row's exact setup (one Persona
// simulator shared by both sides, the row's clients, `compareInterleaved` with a settled heap, 150 warm-up rounds,
// 120 measured rounds of 20 calls per side, sides alternating which goes first):
//   node --expose-gc --single-threaded-gc bench/scripts/routing-blocks.mjs <mode> [options]
// Modes: `row` (routed ÷ direct, as the row), `aa-direct` (direct ÷ direct: two adapters from the same factory),
// `aa-routed` (routed ÷ routed: two routed clients configured alike, each with its own memory store), `replay`
// (routed ÷ direct over an adapter that answers at once with a copy of one real Persona create's result, a fresh id
// per call: routing's own work on the flow's data, in a tight loop, to set against the row's profile), `split-ab`
// (routed with the row's 70/30 split ÷ routed with a one-provider 100/0 split: what the real split costs).
// Routed clients split new subjects as the row (`realSplit`, imported from the built row: 70/30) between two
// identical adapters; --split P gives P/(100-P).
// Options: --split P, --rounds N, --warmup N, --batch N; --no-settle (the heap left to itself, no collection around blocks); --profile (samples the CPU every 50 µs with the inspector and gives
// each side's self time per function, from the measured blocks only); --json FILE (every block, its GC events).
// Build the bench first (`pnpm --filter @openkyc/bench... build`). Prints the goal statistic, the ratio of the
// totals, the per-round spread, each side by position in its round, and collector time inside the blocks.

import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const bench = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(resolve(bench, 'package.json'))
const { compareInterleaved, summarize } = await import(resolve(bench, 'dist/measure.js'))
const { createBenchPersona } = await import(resolve(bench, 'dist/providers.js'))
const { personaRouting, realSplit } = await import(resolve(bench, 'dist/benchmarks/routing-overhead.js'))
const { createPersonaSimulator } = await import(require.resolve('@openkyc/simulator-persona'))
const { createKyc } = await import(require.resolve('@openkyc/core'))

const args = process.argv.slice(2)
const mode = args[0] ?? 'row'
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`)
  return at === -1 ? fallback : args[at + 1]
}
if (!['row', 'aa-direct', 'aa-routed', 'replay', 'split-ab'].includes(mode)) {
  console.error(
    'usage: routing-blocks.mjs <row|aa-direct|aa-routed|replay|split-ab> [--split P] [--rounds N] [--warmup N] [--batch N] [--profile] [--json FILE]',
  )
  process.exit(2)
}
const rounds = Number(option('rounds', 120))
const warmupRounds = Number(option('warmup', 150))
const batch = Number(option('batch', 20))
const profile = args.includes('--profile')
const jsonOut = option('json', undefined)
// The routed client's split: P % of new subjects to `persona`, the rest to `spare` (default: the row's, realSplit).
const rowSplit = realSplit('persona', 'spare')
const splitWeight = Number(option('split', rowSplit.persona))

// The row's setup (bench/src/benchmarks/routing-overhead.ts).
const persona = createPersonaSimulator({
  rateLimit: { limit: 1_000_000_000 },
  inquiryCreationQuota: false,
  webhook: { enabledEvents: [] },
})
const context = { fetch: persona.fetch, now: () => persona.clock.now() }
const settings = { handoff: 'hosted-url', rateLimit: false }
const direct = () => createBenchPersona(context, settings)
// An adapter that answers at once with a copy of one real create's result (ids made unique per call).
const template = await direct().createVerification({ subjectReference: 'template-0', country: 'DE' })
let replayed = 0
const replay = () => {
  // The Persona adapter's other methods and declarations, from a real one; only the create is replaced.
  const adapter = Object.create(direct())
  adapter.createVerification = async (options) => {
    replayed += 1
    const result = structuredClone(template)
    const id = `inq_replay${String(replayed).padStart(14, '0')}`
    result.verification.id = id
    result.verification.reference = { inquiryId: id }
    result.verification.subjectReference = options.subjectReference
    return result
  }
  return adapter
}
const makeAdapter = mode === 'replay' ? replay : direct
const routed = (weight = splitWeight) =>
  createKyc({
    adapters: { persona: makeAdapter(), spare: makeAdapter() },
    env: {},
    // A real split, the row's own (realSplit) by default; --split 100 gives a one-provider split, for comparison.
    routing: personaRouting(
      weight === rowSplit.persona ? rowSplit : { persona: weight, spare: 100 - weight },
    ),
  })
const [subjectClient, baselineClient, subjectName, baselineName] =
  mode === 'row'
    ? [routed(), direct(), 'routed', 'direct']
    : mode === 'replay'
      ? [routed(), replay(), 'routed', 'direct']
      : mode === 'aa-direct'
        ? [direct(), direct(), 'direct A', 'direct B']
        : mode === 'split-ab'
          ? [routed(), routed(100), `routed ${splitWeight}/${100 - splitWeight}`, 'routed 100/0']
          : [routed(), routed(), 'routed A', 'routed B']
// References of one length on both sides, as in the row (`routed-`/`direct-` there: 7 characters each).
const [subjectPrefix, baselinePrefix] =
  mode === 'row' || mode === 'replay' ? ['routed-', 'direct-'] : ['sideA1-', 'sideB1-']

const gcEvents = []
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    gcEvents.push({
      start: entry.startTime,
      duration: entry.duration,
      kind: entry.detail.kind,
      flags: entry.detail.flags,
    })
})
observer.observe({ entryTypes: ['gc'] })

let session
let clockOffsetMicros = 0
if (profile) {
  session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 50 })
  // performance.now() (ms from the time origin) to the profiler's clock (µs of the monotonic clock, as hrtime).
  clockOffsetMicros = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000
  await session.post('Profiler.start')
}

const blocks = []
const result = await compareInterleaved({
  subject: (index) =>
    subjectClient.createVerification({ subjectReference: `${subjectPrefix}${index}`, country: 'DE' }),
  baseline: (index) =>
    baselineClient.createVerification({ subjectReference: `${baselinePrefix}${index}`, country: 'DE' }),
  rounds,
  warmupRounds,
  batch,
  settleHeap: !args.includes('--no-settle'),
  onBlock: (block) => blocks.push(block),
})
const cpuProfile = profile ? (await session.post('Profiler.stop')).profile : undefined
await new Promise((resolve) => setTimeout(resolve, 50))
observer.disconnect()

const measured = blocks.filter((block) => block.round >= warmupRounds)
for (const block of measured) {
  const inside = gcEvents.filter((event) => event.start >= block.startedAt && event.start < block.endedAt)
  const forced = (event) => (event.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0
  block.gcMs = inside.reduce((total, event) => total + event.duration, 0) / batch
  block.spontaneousScavenges = inside.filter(
    (event) => event.kind === constants.NODE_PERFORMANCE_GC_MINOR && !forced(event),
  ).length
  block.forcedGcMs = inside.filter(forced).reduce((total, event) => total + event.duration, 0) / batch
  block.otherGc = inside.filter((event) => event.kind !== constants.NODE_PERFORMANCE_GC_MINOR).length
  block.mutatorMs = block.cpu - block.gcMs
}

const digits = (value, places = 4) => value.toFixed(places)
const median = (values) => summarize(values).median
const sum = (values) => values.reduce((total, value) => total + value, 0)
const of = (side, filter = () => true) => measured.filter((block) => block.side === side && filter(block))
const line = (label, pick) => {
  const subject = of('subject').map(pick)
  const baseline = of('baseline').map(pick)
  return `${label}: ${subjectName} ${digits(median(subject))} ms, ${baselineName} ${digits(median(baseline))} ms (medians); ratio of medians ${digits(median(subject) / median(baseline))}, of totals ${digits(sum(subject) / sum(baseline))}`
}
console.log(`${mode}: ${rounds} rounds of ${batch} after ${warmupRounds} warm-up rounds`)
console.log(
  `goal statistic (ratio of the medians per call, CPU) ${digits(result.cpu.subjectMs.median / result.cpu.baselineMs.median)}; ` +
    `total CPU ratio ${digits(result.cpu.totalRatio)}; per-round ratios median ${digits(result.cpu.ratio.median)} ` +
    `(IQR ${digits(result.cpu.ratio.p25)}–${digits(result.cpu.ratio.p75)}); wall: ratio of medians ${digits(result.subjectMs.median / result.baselineMs.median)}`,
)
for (const side of ['subject', 'baseline']) {
  const name = side === 'subject' ? subjectName : baselineName
  const cpu = summarize(of(side).map((block) => block.cpu))
  const first = of(side, (block) => block.position === 0).map((block) => block.cpu)
  const second = of(side, (block) => block.position === 1).map((block) => block.cpu)
  const withScavenge = of(side, (block) => block.spontaneousScavenges > 0).map((block) => block.cpu)
  const without = of(side, (block) => block.spontaneousScavenges === 0).map((block) => block.cpu)
  console.log(
    `${name}: CPU per call median ${digits(cpu.median)}, mean ${digits(sum(of(side).map((block) => block.cpu)) / cpu.samples)}, ` +
      `p10 ${digits(cpu.p10)}, p90 ${digits(cpu.p90)}, max ${digits(cpu.max)}; first in round ${digits(median(first))} (${first.length}), ` +
      `second ${digits(median(second))} (${second.length}); blocks with a spontaneous scavenge ${withScavenge.length} ` +
      `(median ${digits(median(withScavenge))}), without ${without.length} (median ${without.length ? digits(median(without)) : '-'}); ` +
      `heap kept per call ${(summarize(of(side).map((block) => block.heapGrowth)).median / 1024).toFixed(1)} kB`,
  )
}
console.log(line('collector time inside blocks per call', (block) => block.gcMs))
console.log(line('of which the forced end-of-block scavenge', (block) => block.forcedGcMs))
console.log(line('mutator (CPU minus collector) per call', (block) => block.mutatorMs))
console.log(
  `spontaneous scavenges per block (mean): ${subjectName} ${digits(sum(of('subject').map((block) => block.spontaneousScavenges)) / of('subject').length, 2)}, ` +
    `${baselineName} ${digits(sum(of('baseline').map((block) => block.spontaneousScavenges)) / of('baseline').length, 2)}; ` +
    `other collections inside blocks: ${sum(measured.map((block) => block.otherGc))}`,
)
// The per-round ratio's dependence on which side went first.
const ratiosBy = (subjectFirst) =>
  measured
    .filter((block) => block.side === 'subject' && (block.position === 0) === subjectFirst)
    .map(
      (block) =>
        block.cpu / measured.find((other) => other.round === block.round && other.side === 'baseline').cpu,
    )
console.log(
  `per-round ratio when ${subjectName} went first ${digits(median(ratiosBy(true)))}, when second ${digits(median(ratiosBy(false)))}`,
)

if (cpuProfile !== undefined) {
  // Each sample's time on the profiler's clock, mapped to performance.now() and to the block it falls in.
  const nodes = new Map(cpuProfile.nodes.map((node) => [node.id, node]))
  const windows = measured.map((block) => ({
    from: block.startedAt * 1000 + clockOffsetMicros,
    to: block.endedAt * 1000 + clockOffsetMicros,
    side: block.side,
  }))
  const selfBySide = { subject: new Map(), baseline: new Map() }
  let at = cpuProfile.startTime
  let windowIndex = 0
  let assigned = 0
  for (let index = 0; index < cpuProfile.samples.length; index += 1) {
    at += cpuProfile.timeDeltas[index]
    while (windowIndex < windows.length && windows[windowIndex].to < at) windowIndex += 1
    const window = windows[windowIndex]
    if (window === undefined || at < window.from) continue
    const node = nodes.get(cpuProfile.samples[index])
    const frame = node.callFrame
    const file = frame.url
      .replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '')
      .replace(/^.*\/work\/[^/]+\//, '')
    // Anonymous functions by line and column too (bundles are minified onto one line; map them with the bundle's
    // source map).
    const key = frame.functionName
      ? `${frame.functionName} ${file}:${frame.lineNumber + 1}`
      : `(anonymous) ${file}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`
    const bySide = selfBySide[window.side]
    bySide.set(key, (bySide.get(key) ?? 0) + 1)
    assigned += 1
  }
  const calls = rounds * batch
  const intervalMs = (cpuProfile.endTime - cpuProfile.startTime) / 1000 / cpuProfile.samples.length
  const keys = new Set([...selfBySide.subject.keys(), ...selfBySide.baseline.keys()])
  const rows = [...keys].map((key) => {
    const subject = ((selfBySide.subject.get(key) ?? 0) * intervalMs * 1000) / calls
    const baseline = ((selfBySide.baseline.get(key) ?? 0) * intervalMs * 1000) / calls
    return { key, subject, baseline, difference: subject - baseline }
  })
  const total = (side) => (sum([...selfBySide[side].values()]) * intervalMs * 1000) / calls
  console.log(
    `\nprofile: ${cpuProfile.samples.length} samples, mean interval ${(intervalMs * 1000).toFixed(1)} µs, ${assigned} inside measured blocks; ` +
      `sampled time per call ${subjectName} ${total('subject').toFixed(1)} µs, ${baselineName} ${total('baseline').toFixed(1)} µs`,
  )
  console.log(`self time per call (µs), ${subjectName} minus ${baselineName}, largest differences first:`)
  for (const row of rows
    .sort((left, right) => Math.abs(right.difference) - Math.abs(left.difference))
    .slice(0, 45))
    console.log(
      `${row.difference.toFixed(2).padStart(8)} ${row.subject.toFixed(2).padStart(8)} ${row.baseline.toFixed(2).padStart(8)}  ${row.key}`,
    )
  if (jsonOut !== undefined) writeFileSync(`${jsonOut}.self.json`, JSON.stringify(rows))
}
if (jsonOut !== undefined)
  writeFileSync(jsonOut, JSON.stringify({ mode, rounds, batch, warmupRounds, blocks, gcEvents }))
