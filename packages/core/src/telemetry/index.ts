export { instrumentAdapter } from './instrument-adapter.js'
export { instrumentWebhookPipeline } from './instrument-webhooks.js'
export {
  errorType,
  inSpan,
  instrumentationScope,
  type ReconciliationMeasurement,
  recordDataDeletion,
  recordReconciliation,
  telemetryAttributes,
  telemetryMetrics,
} from './telemetry.js'
