export {
  type AgreementCounts,
  type AgreementDisagreement,
  type AgreementReport,
  type AgreementReportOptions,
  type AgreementSide,
  createAgreementReport,
  type ProviderPairAgreement,
} from './agreement-report.js'
export { coverageProblem, type RoutingRequest } from './coverage.js'
export { allowsFallback, classifyAttemptError, errorCodeOf } from './fallback.js'
export {
  routedIdempotencyLifetimeMs,
  routedIdempotencyNamespace,
  routedIdempotencyPendingMs,
} from './idempotency.js'
export {
  createRouter,
  type RoutedCreateVerificationOptions,
  type Router,
  type RouterOptions,
  type RoutingHints,
} from './router.js'
export {
  type ParsedRoutingConfig,
  type ProviderCoverage,
  parseRoutingConfig,
  type RoutingConfig,
  RoutingConfigSchema,
  type RoutingRule,
  type RoutingShadow,
  type RoutingSplit,
} from './routing-config.js'
export {
  type RoutingAttemptResult,
  RoutingAttemptResultSchema,
  RoutingLabelSchema,
  type RoutingRecord,
  RoutingRecordSchema,
  type RoutingSkipReason,
  RoutingSkipReasonSchema,
  serializeRoutingRecord,
} from './routing-record.js'
export { matchRule } from './rules.js'
export {
  createShadowRunner,
  type RecordLostShadowsOptions,
  type ShadowContext,
  type ShadowPlan,
  type ShadowRequest,
  type ShadowRunner,
  type ShadowRunnerOptions,
  type ShadowStatistics,
  shadowPendingLifetimeMs,
} from './shadow.js'
export {
  assignSplit,
  providerForBucket,
  splitAssignmentNamespace,
  splitBucket,
  splitBuckets,
} from './split.js'
