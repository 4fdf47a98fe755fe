/**
 * `@openkyc/simulator-onfido`: a faithful, stateful simulator of Onfido's API v3.6 (Studio workflow
 * runs, classic checks, signed webhooks, a hosted flow), with the conformance driver the OpenKYC
 * suite uses, written from `docs/reference/onfido-api.md` and Onfido's official OpenAPI spec (never
 * from an adapter). The spec validator lives on the `./openapi` entry point.
 *
 * @packageDocumentation
 */
export {
  defaultUploadLimits,
  type OnfidoOAuthClient,
  type OnfidoUploadLimits,
} from './onfido-app.js'
export { createOnfidoConformanceDriver, type OnfidoConformanceDriver } from './onfido-conformance-driver.js'
export { type OnfidoErrorBody, type OnfidoErrorType, onfidoErrorBody } from './onfido-errors.js'
export type { OnfidoEnvironment, OnfidoRegion, OnfidoWorkflowRunStatus } from './onfido-resources.js'
export {
  type OnfidoScenarioRealisation,
  onfidoScenarioRealisations,
  type ReportOutcome,
  workflowReportNames,
} from './onfido-scenarios.js'
export {
  createOnfidoSimulator,
  type OnfidoControls,
  type OnfidoDeliveryTarget,
  type OnfidoRunSnapshot,
  type OnfidoSimulator,
  type OnfidoSimulatorOptions,
  type OnfidoWebhookSetup,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWebhookUrl,
  onfidoSimulatorWorkflowId,
} from './onfido-simulator.js'
export { onfidoSignatureHeader, signOnfidoWebhook } from './onfido-webhooks.js'
