/**
 * `@openkyc/onfido`: the Onfido (Entrust Identity Verification) adapter for OpenKYC.
 * `createOnfido()` implements the common adapter interface over Onfido Studio workflow runs (hosted
 * flow) and classic checks (API channel), and carries Onfido's own surface beside it
 * (`restoreApplicant`, `checks`). The mapping functions and tables are exported too, so the
 * documented tables can be checked and reused.
 *
 * @packageDocumentation
 */
export {
  type CreateOnfidoCheckOptions,
  createOnfido,
  type OnfidoAdapter,
  type OnfidoChecks,
  onfidoCoverage,
} from './create-onfido.js'
export { mapOnfidoEvent, onfidoEventId, onfidoEventType, toEventVerification } from './map-onfido-event.js'
export {
  mapOnfidoDate,
  mapOnfidoDocumentType,
  mapOnfidoIdentity,
  mapOnfidoSex,
  toOnfidoDocumentType,
} from './map-onfido-identity.js'
export {
  mapOnfidoCheckKind,
  mapOnfidoReason,
  mapOnfidoReport,
  mapOnfidoReports,
  mapOnfidoResult,
  mapOnfidoRunReasons,
  type OnfidoReportFamily,
  onfidoCheckKindTable,
  onfidoReasonTable,
  onfidoReportFamily,
  onfidoSubResultReasonTable,
  reasonsOfChecks,
  reasonsOfSubResults,
} from './map-onfido-report.js'
export {
  mapOnfidoCheckStatus,
  mapOnfidoWorkflowRunStatus,
  type OnfidoStatusMeaning,
} from './map-onfido-status.js'
export {
  type MapOnfidoVerificationOptions,
  mapOnfidoApplicantCheck,
  mapOnfidoWorkflowRun,
  onfidoTimestamp,
} from './map-onfido-verification.js'
export { alpha2ToOnfidoCountry, onfidoCountryToAlpha2 } from './onfido-country.js'
export type {
  OnfidoApplicant,
  OnfidoBreakdownNode,
  OnfidoCheck,
  OnfidoReport,
  OnfidoWebhookEnvelope,
  OnfidoWorkflowRun,
} from './onfido-schemas.js'
export {
  defaultOnfidoCheckReportNames,
  type OnfidoEnvironment,
  type OnfidoRegion,
  type OnfidoSettings,
  onfidoApiVersion,
  onfidoBaseUrl,
  onfidoEnvironmentVariables,
  onfidoProvider,
  onfidoRequestsPerMinute,
  type ResolvedOnfidoSettings,
  resolveOnfidoSettings,
} from './onfido-settings.js'
export { type VerifyOnfidoWebhookOptions, verifyOnfidoWebhook } from './onfido-webhook.js'
