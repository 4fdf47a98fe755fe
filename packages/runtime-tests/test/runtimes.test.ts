import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KycEvent, Verification } from '@openkyc/core'
import { createJumioConformanceDriver, jumioSimulatorClient } from '@openkyc/simulator-jumio'
import {
  createOnfidoConformanceDriver,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { type CapturedWebhook, type ConformanceDriver, scenarioById } from '@openkyc/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Delivery, Provider, RuntimeRequest, SimulatorSettings } from '../src/runtime-app.js'
import {
  coldStart,
  prepareRuntimes,
  type RunningRuntime,
  type RuntimeName,
  startRuntime,
} from '../src/runtimes.js'

// Issue 18: the library on Node 20, 22 and 24, Bun, Deno and workerd (without nodejs_compat). Each
// runtime serves the same app (src/runtime-app.ts); the vendor simulators run here, on Node, on
// 127.0.0.1, and each runtime reaches them over loopback.

const median = (values: number[]) =>
  [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!

const runtimeNames: RuntimeName[] = ['node20', 'node22', 'node24', 'bun', 'deno', 'workerd']
const providers: Provider[] = ['persona', 'jumio', 'onfido']
const cleanApprove = scenarioById('clean_approve')
const personaWebhookSecret = 'wbhsec_runtime_tests'
const personaApiKey = 'persona_sandbox_runtime_tests'

const runtimes = new Map<RuntimeName, RunningRuntime>()
const drivers = new Map<Provider, ConformanceDriver>()
const closers: (() => Promise<void>)[] = []
let settings: SimulatorSettings
let workDirectory: string

async function startSimulators(): Promise<void> {
  // Each simulator accepts only the configured credentials, so wrong ones meet the vendor's 401.
  const persona = createPersonaSimulator({
    webhook: { secret: personaWebhookSecret },
    apiKeys: [personaApiKey],
  })
  const personaServer = await persona.listen()
  drivers.set('persona', persona.persona.conformanceDriver())
  closers.push(() => personaServer.close())

  // The simulator's clock is its own (it moves when a scenario moves it), so its token buckets for
  // Jumio's documented rate limits would not refill on real time; the limits are not under test here.
  const jumio = await createJumioConformanceDriver({ rateLimits: false })
  const jumioServer = await jumio.simulator.listen()
  const { auth, account, api, retrieval } = jumio.simulator.urls()
  drivers.set('jumio', jumio)
  closers.push(() => jumioServer.close())

  const onfido = createOnfidoConformanceDriver({ apiTokens: [onfidoSimulatorApiToken] })
  const onfidoServer = await onfido.simulator.listen()
  drivers.set('onfido', onfido)
  closers.push(() => onfidoServer.close())

  settings = {
    persona: {
      baseUrl: `${personaServer.url}/api/v1`,
      apiKey: personaApiKey,
      templateId: 'itmpl_RuntimeTests',
      webhookSecret: personaWebhookSecret,
    },
    jumio: {
      baseUrls: { auth, account, api, retrieval },
      clientId: jumioSimulatorClient.id,
      clientSecret: jumioSimulatorClient.secret,
    },
    onfido: {
      baseUrl: `${onfidoServer.url}/v3.6`,
      apiToken: onfidoSimulatorApiToken,
      workflowId: onfidoSimulatorWorkflowId,
      webhookToken: onfidoSimulatorWebhookToken,
    },
  }
}

const driver = (provider: Provider) => drivers.get(provider)!
const clock = (provider: Provider) => Math.floor(driver(provider).now?.() ?? Date.now())

type Outcome<T> = { ok?: T; error?: { name: string; code: string; message: string } }

/** One request to the app on a runtime; the answer's exact text, and parsed. */
async function call<T>(runtime: RuntimeName, request: RuntimeRequest): Promise<{ text: string; body: T }> {
  const response = await fetch(runtimes.get(runtime)!.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  })
  const text = await response.text()
  expect(response.status, text.slice(0, 500)).toBe(200)
  return { text, body: JSON.parse(text) as T }
}

const toDelivery = (webhook: CapturedWebhook): Delivery => ({
  headers: [...webhook.headers],
  rawBody: webhook.rawBody,
  ...(webhook.remoteAddress === undefined ? {} : { remoteAddress: webhook.remoteAddress }),
})
const deliveryTime = (provider: Provider, webhook: CapturedWebhook) => webhook.sentAt ?? clock(provider)

/** A full verification on one runtime: created there, played by the simulator, read there, its webhooks parsed there. */
async function verificationFlow(runtime: RuntimeName, provider: Provider) {
  const { applicant } = cleanApprove
  const created = await call<Outcome<Verification>>(runtime, {
    action: 'create',
    provider,
    settings,
    now: clock(provider),
    subjectReference: `runtime-${runtime}-${provider}`,
    country: applicant.issuingCountry,
    prefill: {
      firstName: applicant.firstName,
      lastName: applicant.lastName,
      dateOfBirth: applicant.dateOfBirth,
    },
  })
  expect(created.body.error, JSON.stringify(created.body.error)).toBeUndefined()
  const verification = created.body.ok!
  await driver(provider).runScenario({ reference: verification.reference, scenario: cleanApprove })
  const webhooks = await driver(provider).webhookDeliveries({ reference: verification.reference })
  const events: KycEvent[] = []
  for (const webhook of webhooks) {
    const parsed = await call<Outcome<KycEvent[]>>(runtime, {
      action: 'webhook',
      provider,
      settings,
      now: deliveryTime(provider, webhook),
      delivery: toDelivery(webhook),
    })
    expect(parsed.body.error, JSON.stringify(parsed.body.error)).toBeUndefined()
    events.push(...parsed.body.ok!)
  }
  const read = await call<Outcome<Verification>>(runtime, {
    action: 'get',
    provider,
    settings,
    now: clock(provider),
    reference: verification.reference,
  })
  return { created: verification, webhooks, events, read: read.body.ok! }
}

beforeAll(async () => {
  workDirectory = await mkdtemp(join(tmpdir(), 'openkyc-runtimes-'))
  const commands = await prepareRuntimes()
  await startSimulators()
  for (const command of commands) {
    const directory = join(workDirectory, command.name)
    await import('node:fs/promises').then(({ mkdir }) => mkdir(directory, { recursive: true }))
    runtimes.set(command.name, await startRuntime(command, directory))
  }
  // Cold start per runtime, against importing core's dependencies on the same runtime in the same
  // run (fresh processes, alternating, medians). Reported, never asserted: timings are not tests.
  // workerd has no process-level import to time: it loads one bundled module.
  const coldStarts: string[] = []
  for (const command of commands.filter((candidate) => candidate.name !== 'workerd')) {
    const times = { library: [] as number[], baseline: [] as number[] }
    for (let run = 0; run < 3; run += 1) {
      for (const side of run % 2 === 0
        ? (['library', 'baseline'] as const)
        : (['baseline', 'library'] as const)) {
        times[side].push((await coldStart(command, side)).coldStartMs)
      }
    }
    const library = median(times.library)
    const baseline = median(times.baseline)
    coldStarts.push(
      `${command.name} ${library.toFixed(1)} ms (baseline ${baseline.toFixed(1)} ms, ${(library / baseline).toFixed(2)}×)`,
    )
  }
  console.log(
    `runtimes: ${[...runtimes.values()].map((runtime) => `${runtime.name} ${runtime.version}`).join(', ')}\n` +
      `cold start, import of @openkyc/core + @openkyc/persona in a fresh process (baseline: zod + ts-pattern): ${coldStarts.join('; ')}`,
  )
})

afterAll(async () => {
  for (const runtime of runtimes.values()) await runtime.stop()
  for (const close of closers) await close()
  for (const provider of drivers.values()) await provider.close()
  if (workDirectory !== undefined) await rm(workDirectory, { recursive: true, force: true })
})

describe.each(runtimeNames)('on %s', (runtime) => {
  it('serves the app with its own runtime', async () => {
    const response = await fetch(runtimes.get(runtime)!.url)
    const expected = runtime.startsWith('node') ? 'node' : runtime
    expect(await response.json()).toEqual({ runtime: expected })
  })

  for (const provider of providers) {
    it(`${provider}: a full verification against the simulator, its signed webhooks verified and normalized`, async () => {
      const flow = await verificationFlow(runtime, provider)
      expect(flow.created.provider).toBe(provider)
      expect(flow.webhooks.length).toBeGreaterThan(0)
      expect(flow.events.length).toBeGreaterThan(0)
      for (const event of flow.events) {
        expect(event.provider).toBe(provider)
        expect(event.verification?.id).toBe(flow.created.id)
      }
      const completed = flow.events.filter((event) => event.type === 'verification.completed')
      expect(completed.at(-1)?.verification?.decision?.outcome).toBe('approved')
      expect(flow.read.status).toBe('completed')
      expect(flow.read.decision?.outcome).toBe('approved')
      expect(flow.read.identity?.lastName).toBe(cleanApprove.applicant.lastName)
    })

    it(`${provider}: capability and error basics`, async () => {
      const { body } = await call<{
        specificationVersion: string
        undeclaredCapability: Outcome<unknown> | null
        wrongCredentials: Outcome<unknown>
        notFound: Outcome<unknown>
        forgedWebhook: Outcome<unknown>
        redacted: unknown
      }>(runtime, { action: 'basics', provider, settings, now: clock(provider) })
      expect(body.specificationVersion).toBe('v1')
      if (body.undeclaredCapability !== null) {
        expect(body.undeclaredCapability.error?.name).toBe('KycUnsupportedCapabilityError')
      }
      expect(body.wrongCredentials.error?.name).toBe('KycAuthenticationError')
      expect(body.notFound.error?.name).toBe('KycNotFoundError')
      expect(body.forgedWebhook.error?.name).toBe('KycWebhookVerificationError')
      const redacted = JSON.stringify(body.redacted)
      for (const secret of [
        'Quillonda',
        '1986-03-14',
        'ZZ4100001',
        'secret-token',
        'sdk-secret',
        'key-secret',
      ]) {
        expect(redacted).not.toContain(secret)
      }
    })
  }
})

/**
 * The answer with the vendor's request ids blanked: the simulator, like the vendor, gives every HTTP
 * request a new one, so the same failure carries a different id each time it is asked for.
 */
const withoutRequestIds = (text: string) => text.replace(/"requestId":"[^"]*"/g, '"requestId":"…"')

/** Where two answers part, with some context either side (for the failure message). */
function firstDifference(answer: string, expected: string): string {
  let index = 0
  while (index < answer.length && answer[index] === expected[index]) index += 1
  const context = (text: string) => JSON.stringify(text.slice(Math.max(0, index - 60), index + 60))
  return `differs at ${index}: ${context(answer)} instead of ${context(expected)}`
}

// The same inputs give byte-identical outputs everywhere: events, verifications, errors, redaction.
describe('no behaviour differs between runtimes', () => {
  for (const provider of providers) {
    it(`${provider}: the same deliveries, reads and failures answer byte-equal JSON on every runtime`, async () => {
      const reference = await verificationFlow('node20', provider)
      const requests: RuntimeRequest[] = [
        ...reference.webhooks.map(
          (webhook): RuntimeRequest => ({
            action: 'webhook',
            provider,
            settings,
            now: deliveryTime(provider, webhook),
            delivery: toDelivery(webhook),
          }),
        ),
        { action: 'get', provider, settings, now: clock(provider), reference: reference.created.reference },
        { action: 'basics', provider, settings, now: clock(provider) },
      ]
      for (const request of requests) {
        const answers = new Map<RuntimeName, string>()
        for (const runtime of runtimeNames)
          answers.set(runtime, withoutRequestIds((await call(runtime, request)).text))
        const expected = answers.get('node20')!
        expect(expected.length).toBeGreaterThan(2)
        for (const runtime of runtimeNames) {
          const answer = answers.get(runtime)!
          expect(
            answer === expected,
            `${runtime}, ${request.action}: ${firstDifference(answer, expected)}`,
          ).toBe(true)
        }
      }
    })
  }
})
