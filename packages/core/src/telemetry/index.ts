export { instrumentAdapter } from './instrument-adapter.js'
export { instrumentWebhookPipeline } from './instrument-webhooks.js'
export { errorType, instrumentationScope, telemetryAttributes, telemetryMetrics } from './telemetry.js'
