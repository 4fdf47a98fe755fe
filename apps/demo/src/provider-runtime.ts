import type { KycClient, VerificationReference } from '@openkyc/core'
import type { Scenario } from '@openkyc/testkit/catalogue'
import type { ProviderMode, ProviderName } from './provider-name.js'

/**
 * One provider as the demo drives it: a KYC client built with `createKyc` (what an application
 * would hold), plus the demo's stand-in for the applicant and the vendor's back office, which is the
 * simulator's control API locally and whatever the vendor's sandbox allows against the real API.
 */
export type ProviderRuntime = {
  readonly name: ProviderName
  readonly mode: ProviderMode
  /** One line for people: where requests go. Never holds a secret. */
  readonly description: string
  readonly client: KycClient
  /**
   * Plays the scenario for a verification the client created: the applicant submits the scenario's
   * documents (their last name is the simulators' magic input), then the back office reviews or the
   * session expires, as the scenario says.
   */
  realiseScenario(options: { reference: VerificationReference; scenario: Scenario }): Promise<void>
  /**
   * Vendor options, beside the neutral ones, that carry an applicant chosen on the page into the
   * hosted flow. The Jumio simulator reads a `scenario:<id>` `customerInternalReference` (Jumio takes no
   * name prefill); Persona reads the prefilled last name, so it needs none. Absent against real APIs.
   */
  hostedFlowOptions?(scenario: Scenario): Record<string, unknown>
  /**
   * Simulators only: while `failing` is true, every verification creation at this provider answers
   * 503 (the routing view's fault button, which makes routing fall back).
   */
  setCreationFault?(failing: boolean): void
  /** Stops servers and timers. */
  close(): Promise<void>
}
