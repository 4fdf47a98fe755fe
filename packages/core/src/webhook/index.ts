export {
  type BodySignatureAlgorithm,
  type BodySignatureEncoding,
  type SignBodyOptions,
  signBody,
  type VerifyBodySignatureOptions,
  verifyBodySignature,
} from './body-signature.js'
export {
  computeHmacSha256,
  type HmacInput,
  maxSignatureHeaderLength,
  maxSignatures,
  maxSignatureTimestamps,
  type SignTimestampedPayloadOptions,
  signTimestampedPayload,
  type TimestampedSignatureFormat,
  timingSafeEqualStrings,
  type VerifiedTimestampedSignature,
  type VerifyTimestampedSignatureOptions,
  verifyTimestampedSignature,
} from './hmac.js'
export {
  type ApplyVerificationOptions,
  createWebhookPipeline,
  type HandleWebhookOptions,
  type ProcessedWebhookEvent,
  type WebhookEventContext,
  type WebhookEventHandler,
  type WebhookInput,
  type WebhookOutcome,
  type WebhookPipeline,
  type WebhookPipelineOptions,
} from './pipeline.js'
export {
  defaultMaxWebhookBodyBytes,
  type IncomingHeaders,
  type RawWebhookInput,
  type ReadBodyOptions,
} from './read-body.js'
export { toWebhookResponse } from './response.js'
export {
  type Awaitable,
  createMemoryWebhookStore,
  type MemoryWebhookStoreOptions,
  type WebhookStore,
} from './store.js'
