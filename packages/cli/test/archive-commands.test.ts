import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createArchivingFetch,
  createRawArchive,
  createWebhookPipeline,
  type KycAdapter,
  type RawArchive,
} from '@openkyc/core'
import { createPersona } from '@openkyc/persona'
import { openPostgresStore, type PostgresStore } from '@openkyc/postgres'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarios } from '@openkyc/testkit/catalogue'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  backtestArchivedDeliveries,
  createArchivedResponsesFetch,
  openArchivedDeliveries,
  openArchivedResponses,
} from '../src/index.js'
import { runBin } from './support/run-bin.js'

const apiKey = 'persona_sandbox_archive_test'
const webhookSecret = 'wbhsec_archive_test_1'
const archiveKeys = `k2026:${btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, index) => index * 7)))}`
const wrongKeys = `k2026:${btoa(String.fromCharCode(...new Uint8Array(32).fill(1)))}`

let dataDir: string
/** Inquiry ids by catalogue scenario. */
const inquiries = new Map<string, string>()
/** The scenario whose deliveries the application's handler failed on: archived, never applied. */
const failing = 'face_mismatch'

const env = () => ({
  PERSONA_API_KEY: apiKey,
  PERSONA_TEMPLATE_ID: 'itmpl_archive',
  PERSONA_WEBHOOK_SECRETS: webhookSecret,
  OPENKYC_ARCHIVE_KEYS: archiveKeys,
})

function createAdapter(fetch: typeof globalThis.fetch, now?: () => number): KycAdapter {
  return createPersona({
    apiKey,
    templateId: 'itmpl_archive',
    webhookSecrets: [webhookSecret],
    fetch,
    ...(now === undefined ? {} : { now }),
  })
}

async function withArchive<T>(work: (store: PostgresStore, archive: RawArchive) => Promise<T>): Promise<T> {
  const store = await openPostgresStore({ dataDir })
  try {
    return await work(store, createRawArchive({ store: store.archive, keys: archiveKeys }))
  } finally {
    await store.close()
  }
}

/** The whole catalogue through Persona's simulator, its webhooks through the pipeline with the archive on. */
async function fillStore(): Promise<void> {
  const simulator = createPersonaSimulator({ apiKeys: [apiKey], webhook: { secret: webhookSecret } })
  await withArchive(async (store, archive) => {
    // The application's wiring: the adapter's reads of the vendor are archived too.
    const adapter = createAdapter(
      createArchivingFetch({
        archive,
        provider: 'persona',
        fetch: simulator.fetch,
      }) as typeof globalThis.fetch,
    )
    const pipeline = createWebhookPipeline({ adapter, store, archive })
    simulator.persona.setWebhookTarget(async (request) => {
      try {
        await pipeline.handle(request, {
          onEvent(processed) {
            if (processed.verification?.id === inquiries.get(failing)) throw new Error('the handler failed')
          },
        })
        return new Response(null, { status: 200 })
      } catch {
        return new Response(null, { status: 500 })
      }
    })
    for (const scenario of scenarios) {
      const { verification } = await adapter.createVerification({ subjectReference: `user-${scenario.id}` })
      const inquiryId = String(verification.reference.inquiryId)
      inquiries.set(scenario.id, inquiryId)
      await simulator.persona.resolve(inquiryId, scenario.id)
    }
    await simulator.persona.webhooksIdle()
    pipeline.close()
  })
}

// PGlite starts a WebAssembly Postgres in every run of the bin: seconds each on a shared machine.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 })

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'openkyc-archive-'))
  await fillStore()
})
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

const backtestSchema = z.strictObject({
  deliveries: z.number().int(),
  events: z.number().int(),
  skipped: z.array(z.object({ provider: z.string(), deliveries: z.number(), reason: z.string() })),
  differences: z.array(z.object({ verificationId: z.string(), field: z.string() }).passthrough()),
  verifications: z.array(z.string()),
})

describe('openkyc backtest', () => {
  it('reports 0 differences on a store filled by the catalogue, as JSON and as text', async () => {
    const json = await runBin(['backtest', '--data-dir', dataDir, '--json'], env())
    expect(json).toMatchObject({ code: 0, stderr: '' })
    const report = backtestSchema.parse(JSON.parse(json.stdout))
    expect(report.deliveries).toBeGreaterThanOrEqual(scenarios.length)
    expect(report).toMatchObject({ differences: [], verifications: [], skipped: [] })
    const human = await runBin(['backtest', '--data-dir', dataDir, '--provider', 'persona'], env())
    expect(human).toMatchObject({
      code: 0,
      stdout: `${report.deliveries} deliveries, ${report.events} events re-normalized: 0 verifications differ.\n`,
    })
  })

  it('after a deliberate mapping change in a copy of the adapter, reports exactly the affected verifications', async () => {
    const report = await withArchive(async (_store, archive) => {
      const deliveries = await openArchivedDeliveries({ archive })
      const responses = await openArchivedResponses(archive)
      return backtestArchivedDeliveries({
        deliveries,
        createAdapter: (payload) => {
          const adapter = createAdapter(
            createArchivedResponsesFetch(responses, payload.sequence) as typeof globalThis.fetch,
            () => Date.parse(payload.receivedAt),
          )
          // The change under test: Persona's "expired" label now maps to `other` instead of `document_expired`.
          const remap = <T extends { code: string }>(reason: T): T =>
            reason.code === 'document_expired' ? { ...reason, code: 'other' } : reason
          return {
            ...adapter,
            async parseWebhook(options) {
              return (await adapter.parseWebhook(options)).map((event) =>
                event.verification?.decision === undefined
                  ? event
                  : {
                      ...event,
                      verification: {
                        ...event.verification,
                        decision: {
                          ...event.verification.decision,
                          reasons: event.verification.decision.reasons.map(remap),
                        },
                      },
                    },
              )
            },
          }
        },
      })
    })
    expect(report.verifications).toEqual([`persona ${inquiries.get('expired_document')}`])
    expect(new Set(report.differences.map((difference) => difference.field))).toEqual(new Set(['reasons']))
  })
})

describe('openkyc webhooks replay', () => {
  it('refuses bad input in one line and writes nothing: archive off, unknown event, wrong key, no event given', async () => {
    const { OPENKYC_ARCHIVE_KEYS: _keys, ...archiveOff } = env()
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['webhooks', 'replay', 'evt_x'], archiveOff, /^error: OPENKYC_ARCHIVE_KEYS is not set/],
      [
        ['webhooks', 'replay', 'evt_unknown'],
        env(),
        /^error: no archived delivery carries event evt_unknown/,
      ],
      [
        ['webhooks', 'replay', '--since', '1h'],
        { ...env(), OPENKYC_ARCHIVE_KEYS: wrongKeys },
        /^error: Archived payload \S+ cannot be decrypted with key "k2026" of OPENKYC_ARCHIVE_KEYS/,
      ],
      [['webhooks', 'replay'], env(), /^error: give an event id or --since <time>/],
    ]
    for (const [args, environment, says] of cases) {
      const run = await runBin([...args, '--data-dir', dataDir], environment)
      expect(run).toMatchObject({ code: 1, stdout: '' })
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
      expect(run.stderr).toMatch(says)
    }
    // The failing scenario's verification is still unknown to the store: nothing was applied.
    const show = await runBin([
      'verifications',
      'show',
      'persona',
      inquiries.get(failing)!,
      '--data-dir',
      dataDir,
    ])
    expect(show.code).toBe(1)
  })

  it('applies a delivery the handler failed on, then reports it processed (idempotent); --since replays the rest', async () => {
    const eventId = await withArchive(async (_store, archive) => {
      const [first] = await openArchivedDeliveries({
        archive,
        query: { verificationId: inquiries.get(failing)! },
      })
      return first!.events[0]!.eventId
    })
    const once = await runBin(['webhooks', 'replay', eventId, '--data-dir', dataDir], env())
    expect(once.code).toBe(0)
    expect(once.stdout).toMatch(
      new RegExp(`^persona {2}${eventId} {2}applied {2}${inquiries.get(failing)} \\w+\\n`),
    )
    expect(once.stdout).toMatch(/\n1 delivery replayed: 1 event applied, 0 already processed\.\n$/)
    const twice = await runBin(['webhooks', 'replay', eventId, '--data-dir', dataDir], env())
    expect(twice).toMatchObject({
      code: 0,
      stdout: `persona  ${eventId}  already processed\n1 delivery replayed: 0 events applied, 1 already processed.\n`,
    })
    const rest = await runBin(['webhooks', 'replay', '--since', '1h', '--data-dir', dataDir, '--json'], env())
    expect(rest.code).toBe(0)
    const replayed = z
      .array(
        z.object({
          provider: z.literal('persona'),
          events: z.array(
            z.object({ eventId: z.string(), verificationId: z.string().optional(), changed: z.boolean() }),
          ),
          duplicates: z.array(z.string()),
        }),
      )
      .parse(JSON.parse(rest.stdout))
    const applied = replayed.flatMap((delivery) => delivery.events)
    // Only the failing scenario's events were never processed; every other one is a duplicate.
    expect(applied.length).toBeGreaterThan(0)
    expect(new Set(applied.map((event) => event.verificationId))).toEqual(new Set([inquiries.get(failing)]))
    expect(replayed.flatMap((delivery) => delivery.duplicates)).toContain(eventId)
    const show = await runBin(
      ['verifications', 'show', 'persona', inquiries.get(failing)!, '--data-dir', dataDir, '--json'],
      env(),
    )
    expect(show.code).toBe(0)
    expect(JSON.parse(show.stdout).timeline.at(-1).to).toMatchObject({
      status: 'completed',
      outcome: 'declined',
    })
  })
})
