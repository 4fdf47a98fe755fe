import {
  capabilityMethods,
  enforceCapabilities,
  isKycError,
  type KycAdapter,
  kycCapabilities,
  redact,
  type VerificationReference,
} from '@openkyc/core'
import { createJumio, type JumioBaseUrls } from '@openkyc/jumio'
import { createOnfido } from '@openkyc/onfido'
import { createPersona } from '@openkyc/persona'

/**
 * The library as an application on any runtime uses it, behind one Web-standard `fetch` handler:
 * Node (`node:http`), Bun (`Bun.serve`), Deno (`Deno.serve`) and workerd (a module worker) all serve
 * this same code, and the test on Node drives it over loopback. Only Web-standard APIs here: no
 * `node:` import, no `Buffer`, no `process`.
 */

/** Where each simulator listens and the credentials it accepts; sent by the test with every request. */
export type SimulatorSettings = {
  persona: { baseUrl: string; apiKey: string; templateId: string; webhookSecret: string }
  jumio: { baseUrls: JumioBaseUrls; clientId: string; clientSecret: string }
  onfido: { baseUrl: string; apiToken: string; workflowId: string; webhookToken: string }
}

/** The providers under test. */
export type Provider = keyof SimulatorSettings

/** A webhook delivery as the simulator sent it. */
export type Delivery = { headers: [string, string][]; rawBody: string; remoteAddress?: string }

/** One request to the runtime app. `now` fixes the clock, so every runtime computes the same output. */
export type RuntimeRequest = {
  provider: Provider
  settings: SimulatorSettings
  now: number
  /** Wrong credentials, for the authentication error. */
  wrongCredentials?: boolean
} & (
  | { action: 'create'; subjectReference: string; country: string; prefill: Record<string, string> }
  | { action: 'get'; reference: VerificationReference }
  | { action: 'webhook'; delivery: Delivery }
  | { action: 'basics' }
)

/** The clock every adapter reads: the current request's `now` (requests are handled one at a time). */
let currentNow = 0
const now = () => currentNow

/**
 * One adapter per provider, settings and credentials, kept between requests as an application keeps
 * its client: Jumio's OAuth token is minted once, not once per request (its token endpoint limits that).
 */
const adapters = new Map<string, KycAdapter>()

function createAdapter(request: RuntimeRequest): KycAdapter {
  currentNow = request.now
  const key = JSON.stringify([
    request.provider,
    request.wrongCredentials === true,
    request.settings[request.provider],
  ])
  let adapter = adapters.get(key)
  if (adapter === undefined) {
    adapter = buildAdapter(request)
    adapters.set(key, adapter)
  }
  return adapter
}

function buildAdapter(request: RuntimeRequest): KycAdapter {
  const wrong = request.wrongCredentials === true
  switch (request.provider) {
    case 'persona': {
      const settings = request.settings.persona
      return createPersona({
        apiKey: wrong ? 'persona_sandbox_wrong' : settings.apiKey,
        templateId: settings.templateId,
        webhookSecrets: [settings.webhookSecret],
        baseUrl: settings.baseUrl,
        now,
        env: {},
      })
    }
    case 'jumio': {
      const settings = request.settings.jumio
      return createJumio({
        clientId: settings.clientId,
        clientSecret: wrong ? 'wrong-secret' : settings.clientSecret,
        baseUrls: settings.baseUrls,
        workflowKey: 32,
        userAgent: 'OpenKYC Runtime Tests/1.0',
        now,
        env: {},
        verifyCallbackSource: true,
        // The test replays every callback on six runtimes within seconds: the per-process budget
        // for callback reads (5/s by default) is not what is under test here.
        callbackReadRateLimit: false,
        userConsent: () => ({
          userIp: '203.0.113.10',
          userLocation: { country: 'DE' },
          consent: { obtained: 'yes', obtainedAt: new Date(now()).toISOString() },
        }),
      })
    }
    case 'onfido': {
      const settings = request.settings.onfido
      return createOnfido({
        apiToken: wrong ? 'api_sandbox.wrong-token' : settings.apiToken,
        workflowId: settings.workflowId,
        webhookTokens: [settings.webhookToken],
        baseUrl: settings.baseUrl,
        now,
        env: {},
      })
    }
  }
}

/** An error as the application sees it: its class, code and message (which never hold personal data). */
function describeError(error: unknown) {
  if (!isKycError(error)) {
    return {
      kycError: false,
      name: error instanceof Error ? error.name : typeof error,
      message: String(error),
    }
  }
  return { kycError: true, name: error.name, ...error.toJSON() }
}

async function outcome(work: () => Promise<unknown>) {
  try {
    return { ok: await work() }
  } catch (error) {
    return { error: describeError(error) }
  }
}

/** A verification-shaped value holding personal data, for the redaction check. */
const personalRecord = {
  identity: {
    firstName: 'Quillonda',
    lastName: 'Testperson',
    dateOfBirth: '1986-03-14',
    documentNumber: 'ZZ4100001',
  },
  session: { url: 'https://flow.example/start?token=secret-token&step=1', sdkToken: 'sdk-secret' },
  headers: { authorization: 'Bearer secret', 'x-api-key': 'key-secret' },
  status: 'completed',
}

/** Capability and error basics: what an application relies on before any flow. */
async function basics(request: RuntimeRequest) {
  const adapter = createAdapter(request)
  const enforced = enforceCapabilities(adapter)
  const undeclared = kycCapabilities.find((capability) => !adapter.capabilities[capability])
  const method = undeclared === undefined ? undefined : capabilityMethods[undeclared][0]
  const wrongAdapter = createAdapter({ ...request, wrongCredentials: true })
  const unknownReference: Record<Provider, VerificationReference> = {
    persona: { inquiryId: 'inq_AAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    jumio: {
      accountId: '00000000-0000-4000-8000-000000000000',
      workflowExecutionId: '00000000-0000-4000-8000-000000000001',
    },
    onfido: {
      applicantId: '00000000-0000-4000-8000-000000000002',
      workflowRunId: '00000000-0000-4000-8000-000000000003',
    },
  }
  return {
    provider: adapter.provider,
    specificationVersion: adapter.specificationVersion,
    capabilities: adapter.capabilities,
    undeclaredCapability:
      method === undefined
        ? null
        : await outcome(() => (enforced[method] as (options: unknown) => Promise<unknown>)({})),
    wrongCredentials: await outcome(() =>
      wrongAdapter.createVerification({
        subjectReference: 'runtime-basics',
        country: 'DE',
        prefill: { firstName: 'Runtime', lastName: 'Basics' },
      }),
    ),
    notFound: await outcome(() => adapter.getVerification({ reference: unknownReference[request.provider] })),
    forgedWebhook: await outcome(() =>
      adapter.parseWebhook({
        headers: new Headers({
          'content-type': 'application/json',
          'persona-signature': `t=${Math.floor(request.now / 1000)},v1=${'0'.repeat(64)}`,
          'x-sha2-signature': '0'.repeat(64),
        }),
        rawBody: '{"forged":true}',
        remoteAddress: '198.51.100.7',
      }),
    ),
    redacted: redact(personalRecord),
  }
}

async function run(request: RuntimeRequest): Promise<unknown> {
  switch (request.action) {
    case 'create':
      return outcome(async () => {
        const { verification } = await createAdapter(request).createVerification({
          subjectReference: request.subjectReference,
          country: request.country,
          prefill: request.prefill,
        })
        return verification
      })
    case 'get':
      return outcome(() => createAdapter(request).getVerification({ reference: request.reference }))
    case 'webhook': {
      const { delivery } = request
      return outcome(() =>
        createAdapter(request).parseWebhook({
          headers: new Headers(delivery.headers),
          rawBody: new TextEncoder().encode(delivery.rawBody),
          ...(delivery.remoteAddress === undefined ? {} : { remoteAddress: delivery.remoteAddress }),
        }),
      )
    }
    case 'basics':
      return basics(request)
  }
}

/** What the runtime is, by the globals each one has. */
export function runtimeName(): string {
  const host = globalThis as { Bun?: unknown; Deno?: unknown; process?: { versions?: { node?: string } } }
  if (host.Bun !== undefined) return 'bun'
  if (host.Deno !== undefined) return 'deno'
  if (host.process?.versions?.node !== undefined) return 'node'
  return 'workerd'
}

/**
 * The handler every runtime serves: `POST /` with a {@link RuntimeRequest} answers its outcome as
 * JSON; `GET /` names the runtime.
 */
export async function handleRuntimeRequest(request: Request): Promise<Response> {
  if (request.method === 'GET') return Response.json({ runtime: runtimeName() })
  const body = (await request.json()) as RuntimeRequest
  try {
    return Response.json(await run(body))
  } catch (error) {
    return Response.json({ unexpected: describeError(error) }, { status: 500 })
  }
}
