import {
  type AgreementReport,
  createKyc,
  isKycError,
  type KycClient,
  type KycStore,
  type RoutedCreateVerificationOptions,
  type RoutingRecord,
} from '@openkyc/core'
import { createJumioEvidenceImage } from '@openkyc/simulator-jumio'
import type { Scenario } from '@openkyc/testkit/catalogue'
import { createJpeg } from '@openkyc/testkit/harness'
import type { ProviderName } from './provider-name.js'
import type { ProviderRuntime } from './provider-runtime.js'

/** The two providers the routing view splits between; both accept evidence by API, so either can shadow. */
export const routingProviders = ['jumio', 'onfido'] as const satisfies readonly ProviderName[]

/** One applicant the routing view sent through the routed client. */
export type RoutedApplicant = {
  scenarioId: string
  scenarioTitle: string
  /** Where routing sent the applicant, or `null` when every provider failed. */
  provider: string | null
  /** Every attempt in order, as the routing audit entry records it: `jumio unavailable`, `onfido created`. */
  attempts: string[]
  /** Whether a shadow run was started for this applicant. */
  shadowed: boolean
  /** The error code when the call failed. */
  errorCode: string | null
  /** The error's message when the call failed (KycError messages never hold personal data). */
  errorMessage: string | null
}

/** What `GET /api/routing` answers. */
export type RoutingViewSnapshot = {
  split: Readonly<Record<string, number>>
  shadowProvider: string
  /** Whether the fault button is armed: Jumio's account creations answer 503. */
  faultInjected: boolean
  applicants: RoutedApplicant[]
  shadow: { started: number; completed: number; failed: number; skippedForBudget: number }
  report: AgreementReport
}

/** The routing view's server side. See {@link createRoutingView}. */
export type RoutingView = {
  /** Runs the given scenarios (the catalogue) through the routed client, API channel, one new subject each. */
  run(scenarios: readonly Scenario[]): Promise<void>
  /** Arms or disarms the fault: Jumio's account creations answer 503 until disarmed. */
  setFault(injected: boolean): void
  snapshot(): Promise<RoutingViewSnapshot>
}

/** Options for {@link createRoutingView}. */
export type RoutingViewOptions = {
  /** The Jumio and Onfido runtimes (simulators: the fault button needs Jumio's control API). */
  jumio: ProviderRuntime
  onfido: ProviderRuntime
  /** The demo's store: the routed client records its decisions there, and the webhooks bring decisions in. */
  store: KycStore<unknown>
}

const split = { jumio: 50, onfido: 50 }

/**
 * The consent record Jumio's biometric workflow needs on the API channel (the view uploads a selfie),
 * passed as Jumio's own per-call option; other adapters ignore it. Synthetic: a documentation address
 * and a fixed time.
 */
const jumioOptions = {
  jumio: {
    userConsent: {
      userIp: '203.0.113.10',
      userLocation: { country: 'DE' },
      consent: { obtained: 'yes', obtainedAt: '2030-01-01T00:00:00.000Z' },
    },
  },
}

let selfie: Uint8Array | undefined
/** A noisy selfie, large enough for Onfido's live-photo minimum (32 KiB); encoded once. */
function selfieImage(): Uint8Array {
  selfie ??= createJpeg({ width: 480, height: 640, seed: 17 })
  return selfie
}

/**
 * The routing view: a client built with `createKyc({ routing })` over the demo's Jumio and Onfido
 * clients, with a sticky 50/50 split, fallback to the other provider, and a shadow run at Onfido of
 * every API-channel verification Jumio takes. The catalogue runs through it (create, upload the
 * applicant's document and selfie, submit); each provider's webhooks reach the demo's usual webhook
 * endpoints and bring decisions into the shared store, where the agreement report reads them.
 *
 * @example
 * ```ts
 * const view = createRoutingView({ jumio, onfido, store })
 * await view.run(scenarios)
 * const { applicants, report } = await view.snapshot()
 * ```
 */
export function createRoutingView(options: RoutingViewOptions): RoutingView {
  const { store } = options
  const client: KycClient<unknown> = createKyc({
    provider: 'jumio',
    adapters: { jumio: options.jumio.client, onfido: options.onfido.client },
    store: store as KycStore<undefined>,
    env: {},
    routing: {
      split: { weights: split },
      fallback: ['jumio', 'onfido'],
      shadow: { provider: 'onfido', percentage: 100, rate: { limit: 60, intervalMs: 60_000 } },
    },
  }) as KycClient<unknown>
  const applicants: RoutedApplicant[] = []
  let faultInjected = false
  let runs = 0

  const attemptsOf = async (provider: string, verificationId: string): Promise<RoutingRecord | undefined> => {
    for await (const entry of store.audit.read({ provider, verificationId })) {
      if (entry.action === 'routing' && entry.routing?.role === 'primary') return entry.routing
    }
    return undefined
  }

  const runOne = async (scenario: Scenario, subjectReference: string): Promise<RoutedApplicant> => {
    const { applicant } = scenario
    const base = { scenarioId: scenario.id, scenarioTitle: scenario.title }
    const before = client.routing?.shadowStatistics().tracked ?? 0
    try {
      const { verification } = await client.createVerification({
        subjectReference,
        channel: 'api',
        country: applicant.issuingCountry,
        documentTypes: [applicant.documentType],
        prefill: {
          firstName: applicant.firstName,
          lastName: applicant.lastName,
          dateOfBirth: applicant.dateOfBirth,
        },
        routing: { segment: scenario.id },
        ...jumioOptions,
      } as RoutedCreateVerificationOptions)
      const call = { provider: verification.provider, reference: verification.reference }
      const upload = { ...call, contentType: 'image/jpeg' } as const
      await client.uploadCredential({
        ...upload,
        kind: 'id_document',
        part: 'front',
        documentType: applicant.documentType,
        country: applicant.issuingCountry,
        content: createJumioEvidenceImage({ text: applicant.lastName }),
      })
      await client.uploadCredential({
        ...upload,
        kind: 'selfie',
        part: 'face',
        content: selfieImage(),
      })
      await client.submitVerification(call)
      const record = await attemptsOf(verification.provider, verification.id)
      return {
        ...base,
        provider: verification.provider,
        attempts: (record?.attempts ?? []).map(
          (attempt) => `${attempt.provider} ${attempt.result.replaceAll('_', ' ')}`,
        ),
        shadowed: (client.routing?.shadowStatistics().tracked ?? 0) > before,
        errorCode: null,
        errorMessage: null,
      }
    } catch (error) {
      return {
        ...base,
        provider: null,
        attempts: [],
        shadowed: false,
        errorCode: isKycError(error) ? error.code : 'unknown',
        errorMessage: isKycError(error) ? error.message : 'unexpected error',
      }
    }
  }

  return {
    async run(scenarios) {
      runs += 1
      const runId = `${Date.now().toString(36)}-${runs}`
      // Abandoning applicants never submit evidence through the API; they have no place in this view.
      for (const scenario of scenarios.filter((candidate) => candidate.id !== 'applicant_abandons')) {
        applicants.push(await runOne(scenario, `routing-${runId}-${scenario.id}`))
      }
    },
    setFault(injected) {
      faultInjected = injected
      options.jumio.setCreationFault?.(injected)
    },
    async snapshot() {
      const statistics = client.routing?.shadowStatistics()
      return {
        split,
        shadowProvider: 'onfido',
        faultInjected,
        applicants: [...applicants],
        shadow: {
          started: statistics?.started ?? 0,
          completed: statistics?.completed ?? 0,
          failed: statistics?.failed ?? 0,
          skippedForBudget: statistics?.skippedForBudget ?? 0,
        },
        report: (await client.routing?.agreementReport()) ?? { pairs: [] },
      }
    },
  }
}
