/**
 * `@openkyc/jumio`: the Jumio KYX adapter for OpenKYC. Accounts and workflow executions, API-channel
 * credential upload and finalization, retrieval normalized to the OpenKYC model, deletion, and
 * callbacks confirmed against the Retrieval API.
 *
 * @packageDocumentation
 */
export {
  createJumio,
  type JumioAdapter,
  type JumioCreateVerificationExtras,
  type JumioCreateVerificationOptions,
  type JumioDeleteVerificationDataOptions,
  jumioCapabilities,
  jumioCoverage,
  jumioEvent,
  jumioId,
  toJumioPreparedData,
} from './jumio-adapter.js'
export {
  jumioMaxBackgroundReads,
  jumioUnknownExecutionMemoryMs,
  jumioUnknownExecutionMemorySize,
} from './jumio-callback-reads.js'
export type { JumioAccountRequest, JumioExecutionReference } from './jumio-client.js'
export type {
  JumioAccountResponse,
  JumioCallback,
  JumioCapability,
  JumioDetailsResponse,
  JumioExtractionData,
  JumioStatusResponse,
} from './jumio-schemas.js'
export {
  defaultJumioWorkflowKey,
  type JumioBaseUrls,
  type JumioRegion,
  type JumioSettings,
  type JumioStore,
  type JumioTransaction,
  type JumioUserConsent,
  type JumioUserConsentSupplier,
  jumioCallbackAddresses,
  jumioCallbackReadRateLimit,
  jumioEnvironmentVariables,
  jumioRegionBaseUrls,
  jumioRegions,
  jumioRetrievalRetryDelaysMs,
} from './jumio-settings.js'
export { jumioCapabilityKinds, jumioReasonTable, mapJumioCapability } from './map-jumio-capability.js'
export { mapJumioDecision, mapJumioDecisionOutcome } from './map-jumio-decision.js'
export { mapJumioDocumentType, mapJumioIdentity } from './map-jumio-identity.js'
export { mapJumioStatus } from './map-jumio-status.js'
export { mapJumioDetails } from './map-jumio-verification.js'
