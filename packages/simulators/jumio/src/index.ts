/**
 * The Jumio KYX simulator: a stateful, documentation-faithful stand-in for Jumio's account, credential,
 * retrieval and callback APIs, with a hosted page at `web.href`, magic inputs for every catalogue
 * scenario, a control API and a conformance driver. See the package README.
 *
 * @packageDocumentation
 */
export type { JumioClient } from './jumio-app.js'
export { createJumioConformanceDriver, type JumioConformanceDriver } from './jumio-conformance-driver.js'
export type { JumioExecutionReference, ResolveOptions } from './jumio-engine.js'
export { JumioControlError } from './jumio-engine.js'
export { createJumioEvidenceImage, type JumioEvidenceImageOptions } from './jumio-images.js'
export type { JumioUrls } from './jumio-payloads.js'
export { type JumioProblemBody, jumioProblemBody } from './jumio-problem.js'
export { defaultRateLimits, type JumioRateLimit, type JumioRateLimits } from './jumio-rate-limits.js'
export type {
  JumioApplicant,
  JumioCapabilityResult,
  JumioDecisionType,
  JumioOutcomeProfile,
  JumioOverallDecision,
  JumioStep,
  JumioVerdict,
} from './jumio-results.js'
export {
  type JumioScenarioRealisation,
  jumioScenarioRealisations,
  scenarioReferencePrefix,
} from './jumio-scenarios.js'
export {
  createJumioSimulator,
  type JumioCallbackTarget,
  type JumioControls,
  type JumioExecutionSnapshot,
  type JumioRegion,
  type JumioSimulator,
  type JumioSimulatorOptions,
  jumioCallbackIpRanges,
  jumioSimulatorClient,
} from './jumio-simulator.js'
export type { JumioWorkflowStatus } from './jumio-state.js'
export { defaultUploadLimits, type JumioUploadLimits } from './jumio-uploads.js'
export {
  type JumioCapabilityName,
  type JumioChannel,
  type JumioCredentialCategory,
  type JumioWorkflowDefinition,
  jumioWorkflows,
} from './jumio-workflows.js'
