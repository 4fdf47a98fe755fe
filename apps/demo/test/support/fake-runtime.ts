import { createKyc, type KycCapabilities, KycNotFoundError, type Verification } from '@openkyc/core'
import { createMockAdapter, type MockKycAdapter, type MockWebhookDelivery } from '@openkyc/core/test'
import type { Scenario } from '@openkyc/testkit/catalogue'
import type { ProviderName } from '../../src/provider-name.js'
import type { ProviderRuntime } from '../../src/provider-runtime.js'

/** Options for {@link createFakeRuntime}. */
export type FakeRuntimeOptions = {
  name: ProviderName
  /** Overrides what the fake provider reports for a scenario; default: exactly what the catalogue expects. */
  decide?: (scenario: Scenario) => Partial<Verification>
  /** Signs webhook deliveries (`x-mock-signature`) and makes `parseWebhook` verify them. */
  webhookSecret?: string
  capabilities?: Partial<KycCapabilities>
  /** Makes `createVerification` throw this. */
  createError?: Error
}

/** A fake provider runtime and the hooks tests use to play the vendor. */
export type FakeRuntime = ProviderRuntime & {
  adapter: MockKycAdapter
  /** A signed delivery of `verification.completed` for a verification the fake has decided. */
  completedDelivery(verificationId: string): MockWebhookDelivery
  /** Decides a verification as its scenario says (what `realiseScenario` does), without reading it. */
  decideNow(verificationId: string, scenario: Scenario): void
}

let clock = Date.parse('2030-01-01T00:00:00Z')
const tick = () => {
  clock += 1000
  return new Date(clock).toISOString()
}

/**
 * A provider for tests, built on core's mock adapter: it decides every scenario as the catalogue
 * expects unless `decide` says otherwise, and hands out signed webhooks for what it decided.
 */
export function createFakeRuntime(options: FakeRuntimeOptions): FakeRuntime {
  const created = new Map<string, Verification>()
  const decided = new Map<string, Verification>()
  let sequence = 0
  const adapter = createMockAdapter({
    provider: options.name,
    ...(options.capabilities === undefined ? {} : { capabilities: options.capabilities }),
    ...(options.webhookSecret === undefined ? {} : { webhookSecret: options.webhookSecret }),
    results: {
      createVerification: (call) => {
        if (options.createError !== undefined) throw options.createError
        sequence += 1
        const id = `${options.name}_${sequence}`
        const at = tick()
        const verification: Verification = {
          id,
          provider: options.name,
          reference: { verificationId: id },
          subjectReference: call.subjectReference,
          status: 'created',
          checks: [],
          credentials: [],
          session: { url: `https://${options.name}.example.test/flow/${id}` },
          createdAt: at,
          updatedAt: at,
          raw: { status: 'created' },
        }
        created.set(id, verification)
        return { verification }
      },
      getVerification: (call) => {
        const id = call.reference.verificationId ?? ''
        const verification = decided.get(id) ?? created.get(id)
        if (verification === undefined) {
          throw new KycNotFoundError({ provider: options.name, message: 'not found' })
        }
        return structuredClone(verification)
      },
    },
  })

  const decideNow = (id: string, scenario: Scenario) => {
    const base = created.get(id)
    if (base === undefined) throw new Error(`unknown verification ${id}`)
    const { expected, applicant } = scenario
    const at = tick()
    const verification: Verification = {
      ...base,
      status: expected.status,
      ...(expected.outcome === undefined
        ? {}
        : {
            decision: {
              outcome: expected.outcome,
              reasons: expected.reasonCodes.map((code) => ({ code, raw: code.toUpperCase() })),
              decidedBy: expected.decidedBy ?? 'provider',
              raw: { status: expected.outcome, firstName: applicant.firstName },
            },
          }),
      checks: expected.checkKinds.map((kind) => ({
        kind,
        outcome: 'passed' as const,
        reasons: [],
        raw: { name: kind },
      })),
      identity: {
        firstName: applicant.firstName,
        lastName: applicant.lastName,
        dateOfBirth: applicant.dateOfBirth,
        documentNumber: applicant.documentNumber,
      },
      updatedAt: at,
      raw: { status: expected.status },
      ...options.decide?.(scenario),
    }
    decided.set(id, verification)
  }

  return {
    name: options.name,
    mode: 'simulator',
    description: `fake ${options.name}`,
    client: createKyc({ provider: options.name, adapters: { [options.name]: adapter }, env: {} }),
    adapter,
    async realiseScenario({ reference, scenario }) {
      decideNow(reference.verificationId ?? '', scenario)
    },
    decideNow,
    completedDelivery(verificationId) {
      const verification = decided.get(verificationId)
      if (verification === undefined) throw new Error(`${verificationId} is not decided yet`)
      const { identity: _identity, session: _session, ...carried } = verification
      return adapter.createWebhookDelivery([
        {
          id: `event_${verificationId}_${verification.status}`,
          provider: options.name,
          type: 'verification.completed',
          occurredAt: verification.updatedAt,
          verification: carried,
          raw: { type: 'fake.completed' },
        },
      ])
    },
    async close() {},
  }
}
