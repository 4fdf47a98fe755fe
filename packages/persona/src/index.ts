/**
 * `@openkyc/persona`: the Persona adapter for OpenKYC. `createPersona()` implements the common
 * adapter interface over Persona inquiries, and carries Persona's own surface (cases, lists, CSV
 * imports, accounts, one-time links) beside it. The mapping functions are exported too, so the
 * documented tables can be checked and reused.
 *
 * @packageDocumentation
 */
export {
  createPersona,
  type PersonaAdapter,
  type PersonaInquiries,
  personaCoverage,
  planSimulateActions,
} from './create-persona.js'
export {
  mapPersonaCheck,
  mapPersonaCheckName,
  mapPersonaCheckReasons,
  mapPersonaCheckStatus,
  type PersonaCheckMeaning,
  personaCheckTable,
  personaReasonTable,
} from './map-persona-check.js'
export { mapPersonaEvent, toEventVerification } from './map-persona-event.js'
export {
  mapPersonaCountry,
  mapPersonaDate,
  mapPersonaIdClass,
  mapPersonaIdentity,
  mapPersonaSex,
} from './map-persona-identity.js'
export {
  type MapPersonaInquiryOptions,
  mapPersonaDecidedBy,
  mapPersonaInquiry,
  mapPersonaScreeningReport,
  personaCancelledTag,
  personaProvider,
} from './map-persona-inquiry.js'
export {
  type MappedInquiryStatus,
  mapPersonaInquiryStatus,
  type PersonaCompletedMeaning,
  type PersonaDecisionPolicy,
} from './map-persona-inquiry-status.js'
export {
  mapPersonaCredential,
  mapPersonaVerificationType,
  personaVerificationHasEvidence,
} from './map-persona-verification.js'
export type {
  CreatePersonaAccountOptions,
  PersonaAccountRecord,
  PersonaAccounts,
} from './persona-accounts.js'
export type { CreatePersonaCaseOptions, PersonaCaseRecord, PersonaCases } from './persona-cases.js'
export {
  type ChunkCsvOptions,
  type CsvByteChunk,
  type CsvChunk,
  type CsvSource,
  chunkCsv,
  chunkCsvBytes,
} from './persona-csv.js'
export type { PersonaOneTimeLink, PersonaSimulateAction } from './persona-inquiries.js'
export { type PersonaListKindSpec, personaListKinds } from './persona-list-kinds.js'
export type {
  ImportPersonaCsvOptions,
  PersonaImporterRecord,
  PersonaImportResult,
  PersonaListItemRecord,
  PersonaListRecord,
  PersonaLists,
} from './persona-lists.js'
export type {
  PersonaCheck,
  PersonaInquiry,
  PersonaInquiryDocument,
  PersonaVerification,
} from './persona-schemas.js'
export {
  defaultPersonaApiVersion,
  defaultPersonaBaseUrl,
  defaultPersonaHostedFlowUrl,
  type PersonaEnvironment,
  type PersonaHandoff,
  type PersonaSettings,
  personaRequestsPerMinute,
  type ResolvedPersonaSettings,
  resolvePersonaSettings,
} from './persona-settings.js'
export { splitPersonaSignatureHeader, verifyPersonaWebhook } from './persona-webhook.js'
