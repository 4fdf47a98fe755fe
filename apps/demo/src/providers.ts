import { randomBytes, randomUUID } from 'node:crypto'
import { createKyc, type KycAdapter, type KycClient, type KycStore } from '@openkyc/core'
import { createJumio } from '@openkyc/jumio'
import { createOnfido } from '@openkyc/onfido'
import { createPersona } from '@openkyc/persona'
import {
  createJumioConformanceDriver,
  jumioSimulatorClient,
  scenarioReferencePrefix,
} from '@openkyc/simulator-jumio'
import {
  createOnfidoConformanceDriver,
  onfidoSimulatorWebhookUrl,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { createSimulatorClock } from '@openkyc/testkit/harness'
import type { Environment } from './credentials.js'
import type { ProviderMode, ProviderName } from './provider-name.js'
import type { ProviderRuntime } from './provider-runtime.js'

/** Options for {@link startProviders}. */
export type StartProvidersOptions = {
  providers: readonly ProviderName[]
  modes: Readonly<Record<ProviderName, ProviderMode>>
  /**
   * The demo server's origin; webhooks and callbacks go to `{origin}/webhooks/{provider}`. Without it
   * (`--no-web`) the simulators keep their webhooks in process and the run reads results back.
   */
  webhookBaseUrl?: string
  /** Where the real vendors' credentials are read from. */
  env: Environment
  /** The store every provider's webhook pipeline keeps its inbox, states and audit log in. Default: memory. */
  store?: KycStore<unknown>
}

function clientFor(name: ProviderName, adapter: KycAdapter, store: KycStore<unknown> | undefined): KycClient {
  return createKyc({
    provider: name,
    adapters: { [name]: adapter },
    env: {},
    ...(store === undefined ? {} : { store: store as KycStore<undefined> }),
  })
}

/** The Persona simulator on a loopback port, with a Persona adapter pointed at it. */
async function startPersonaSimulator(options: StartProvidersOptions): Promise<ProviderRuntime> {
  // Real time, so a person can click through the hosted flow; scenarios may still jump ahead (expiry).
  const clock = createSimulatorClock({ mode: 'real' })
  const webhookSecret = `wbhsec_demo_${randomBytes(16).toString('hex')}`
  const simulator = createPersonaSimulator({
    clock,
    webhook: {
      secret: webhookSecret,
      ...(options.webhookBaseUrl === undefined ? {} : { url: `${options.webhookBaseUrl}/webhooks/persona` }),
    },
  })
  const server = await simulator.listen()
  const driver = simulator.persona.conformanceDriver()
  const adapter = createPersona({
    apiKey: `persona_sandbox_demo_${randomBytes(8).toString('hex')}`,
    templateId: 'itmpl_openkyc_demo',
    webhookSecrets: [webhookSecret],
    baseUrl: `${server.url}/api/v1`,
    hostedFlowUrl: `${server.url}/verify`,
    // Signed timestamps come from the simulator's clock, which scenarios move forward.
    now: () => clock.now(),
    env: {},
  })
  return {
    name: 'persona',
    mode: 'simulator',
    description: `simulator at ${server.url}`,
    client: clientFor('persona', adapter, options.store),
    realiseScenario: ({ reference, scenario }) => driver.runScenario({ reference, scenario, stage: 'final' }),
    async close() {
      await driver.close()
      await server.close()
    },
  }
}

/** The Jumio simulator on a loopback port (one port serves every Jumio host), with a Jumio adapter pointed at it. */
async function startJumioSimulator(options: StartProvidersOptions): Promise<ProviderRuntime> {
  const clock = createSimulatorClock({ mode: 'real' })
  const callbackUrl =
    options.webhookBaseUrl === undefined ? undefined : `${options.webhookBaseUrl}/webhooks/jumio`
  const driver = createJumioConformanceDriver({
    clock,
    // Loopback callback URLs are fine here; Jumio itself insists on public HTTPS.
    allowInsecureCallbackUrls: true,
    defaultCallbackUrl: null,
    callbacks: { target: callbackUrl === undefined ? 'capture' : 'callback-url', timeScale: 0.001 },
  })
  const server = await driver.simulator.listen()
  const adapter = createJumio({
    clientId: jumioSimulatorClient.id,
    clientSecret: jumioSimulatorClient.secret,
    baseUrls: { auth: server.url, account: server.url, api: server.url, retrieval: server.url },
    userAgent: 'OpenKYC demo/0.0.0',
    // ID and identity verification plus screening, so every catalogue scenario (watchlist too) can happen.
    workflowKey: 10013,
    // The demo server listens on loopback http; Jumio itself would refuse that URL.
    ...(callbackUrl === undefined ? {} : { callbackUrl, allowInsecureCallbackUrl: true }),
    // The simulator finishes processing at once; no need for Jumio's minutes-long retrieval schedule.
    retrievalRetryDelaysMs: [200, 500, 1000, 2000],
    transactionRateLimit: false,
    now: () => clock.now(),
    env: {},
  })
  return {
    name: 'jumio',
    mode: 'simulator',
    description: `simulator at ${server.url}`,
    client: clientFor('jumio', adapter, options.store),
    realiseScenario: ({ reference, scenario }) => driver.runScenario({ reference, scenario, stage: 'final' }),
    setCreationFault(failing) {
      driver.simulator.clearFaults()
      if (failing) {
        driver.simulator.failNext({
          status: 503,
          times: Number.POSITIVE_INFINITY,
          match: { method: 'POST', path: '/api/v1/accounts' },
        })
      }
    },
    // The simulator's documented magic input; its hosted page then preselects the applicant.
    hostedFlowOptions: (scenario) => ({
      jumio: { customerInternalReference: `${scenarioReferencePrefix}${scenario.id}:${randomUUID()}` },
    }),
    async close() {
      await driver.close()
      await server.close()
    },
  }
}

/** Persona's real API, configured from `PERSONA_*` variables. */
function startPersonaLive(options: StartProvidersOptions): ProviderRuntime {
  const adapter = createPersona({ env: options.env })
  const client = clientFor('persona', adapter, options.store)
  const sandbox = client.capabilities.simulate
  return {
    name: 'persona',
    mode: 'live',
    description: `Persona API (${sandbox ? 'sandbox' : 'production'})`,
    client,
    async realiseScenario({ reference, scenario }) {
      // The sandbox can move an inquiry to an outcome; production needs a real applicant.
      const outcome = scenario.expected.outcome ?? 'expired'
      if (!sandbox || outcome === 'resubmission_requested') return
      await client.simulateVerification({ reference, outcome })
    },
    async close() {},
  }
}

/** Jumio's real API, configured from `JUMIO_*` variables. */
function startJumioLive(options: StartProvidersOptions): ProviderRuntime {
  const adapter = createJumio({ env: options.env })
  return {
    name: 'jumio',
    mode: 'live',
    description: `Jumio API (${options.env.JUMIO_REGION ?? 'custom hosts'})`,
    client: clientFor('jumio', adapter, options.store),
    // Jumio has no sandbox outcomes: the applicant completes the hosted flow, the rows show where each stands.
    async realiseScenario() {},
    async close() {},
  }
}

/** The Onfido simulator on a loopback port, with an Onfido adapter pointed at it. */
async function startOnfidoSimulator(options: StartProvidersOptions): Promise<ProviderRuntime> {
  const clock = createSimulatorClock({ mode: 'real' })
  const webhookToken = `demo-${randomBytes(16).toString('hex')}`
  const driver = createOnfidoConformanceDriver({
    clock,
    webhooks: [{ url: onfidoSimulatorWebhookUrl, token: webhookToken }],
    delivery: {
      target:
        options.webhookBaseUrl === undefined
          ? 'capture'
          : { url: `${options.webhookBaseUrl}/webhooks/onfido` },
    },
  })
  const server = await driver.simulator.listen()
  const adapter = createOnfido({
    apiToken: `api_sandbox.demo-${randomBytes(8).toString('hex')}`,
    workflowId: onfidoSimulatorWorkflowId,
    webhookTokens: [webhookToken],
    // Evidence sent by API becomes a classic check: ask for the reports the catalogue's scenarios
    // exercise (repeated faces, watchlist hits), so the routing view's shadow runs compare like for like.
    checkReportNames: ['document', 'facial_similarity_photo', 'known_faces', 'watchlist_standard'],
    baseUrl: `${server.url}/v3.6`,
    env: {},
  })
  return {
    name: 'onfido',
    mode: 'simulator',
    description: `simulator at ${server.url}`,
    client: clientFor('onfido', adapter, options.store),
    realiseScenario: ({ reference, scenario }) => driver.runScenario({ reference, scenario, stage: 'final' }),
    async close() {
      await driver.close()
      await server.close()
    },
  }
}

/** Onfido's real API, configured from `ONFIDO_*` variables. */
function startOnfidoLive(options: StartProvidersOptions): ProviderRuntime {
  const adapter = createOnfido({ env: options.env })
  return {
    name: 'onfido',
    mode: 'live',
    description: `Onfido API (${adapter.settings.region}, ${adapter.settings.sandbox ? 'sandbox' : 'live'})`,
    client: clientFor('onfido', adapter, options.store),
    // Onfido's sandbox cannot steer a Studio run: the applicant completes the hosted flow.
    async realiseScenario() {},
    async close() {},
  }
}

async function startOne(name: ProviderName, options: StartProvidersOptions): Promise<ProviderRuntime> {
  const live = options.modes[name] === 'live'
  if (name === 'persona') return live ? startPersonaLive(options) : startPersonaSimulator(options)
  if (name === 'onfido') return live ? startOnfidoLive(options) : startOnfidoSimulator(options)
  return live ? startJumioLive(options) : startJumioSimulator(options)
}

/**
 * Starts each provider: its simulator on a loopback port unless credentials chose the real API, and
 * a client built with `createKyc`, as an application builds one. When one fails to start, the ones
 * already started are closed before the error propagates (a `KycConfigurationError` naming the bad
 * setting, for a real vendor).
 *
 * @example
 * ```ts
 * const runtimes = await startProviders({ providers: ['jumio', 'persona'], modes, env: process.env })
 * ```
 */
export async function startProviders(options: StartProvidersOptions): Promise<ProviderRuntime[]> {
  const started: ProviderRuntime[] = []
  try {
    for (const name of options.providers) started.push(await startOne(name, options))
    return started
  } catch (error) {
    await Promise.allSettled(started.map((runtime) => runtime.close()))
    throw error
  }
}
