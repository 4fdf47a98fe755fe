/**
 * `@openkyc/simulator-persona`: a stateful simulator of Persona's REST API, webhooks and hosted flow,
 * written from Persona's documentation (never from the adapter) so the two readings can be compared.
 *
 * @packageDocumentation
 */
export { createPersonaApp, type PersonaAppSettings } from './app.js'
export {
  defaultCaseStatuses,
  definePersonaCaseTemplate,
  type PersonaCaseTemplate,
} from './cases.js'
export type {
  EmitEventInput,
  PersonaApp,
  PersonaEnv,
  PersonaEnvironment,
  PersonaRequestInfo,
  PersonaRouteContext,
  PresenterRegistration,
  PresentView,
  ResourcePresenter,
} from './context.js'
export { modernShapeVersion, personaApiVersions, usesModernShape } from './context.js'
export type { PersonaKeyInflection } from './inflection.js'
export * from './json-api.js'
export {
  configurePersonaLists,
  createPersonaList,
  type PersonaListKind,
  type PersonaListKindDefinition,
  type PersonaListReceipt,
  type PersonaListSettings,
  personaListKinds,
  readPersonaListReceipt,
} from './lists.js'
export * from './openapi/index.js'
export {
  createPersonaRouteContext,
  type EventSnapshot,
  type PersonaRouteContextSettings,
} from './route-context.js'
export {
  defaultPersonaScenarioPlans,
  type PersonaScenarioPlan,
  type PersonaVerificationKind,
  type PlannedCheckFailure,
  type PlannedDecision,
  type PlannedVerification,
  personaScenarioIds,
} from './scenarios.js'
export {
  createPersonaSimulator,
  type PersonaControls,
  type PersonaSimulator,
  type PersonaSimulatorOptions,
} from './simulator.js'
export * from './state.js'
export {
  computePersonaSignature,
  type PersonaWebhookOptions,
  type PersonaWebhookSecret,
  type PersonaWebhookSender,
  personaRetryScheduleSeconds,
  personaSignatureHeader,
} from './webhooks.js'
