export { isSchemaBuilt } from '../lazy.js'
export {
  createMockAdapter,
  createMockVerification,
  type MockAdapterCall,
  type MockAdapterMethod,
  type MockAdapterOptions,
  type MockAdapterOptionsOf,
  type MockAdapterResultOf,
  type MockAdapterResults,
  type MockAnswer,
  type MockKycAdapter,
  type MockWebhookDelivery,
  mockSignatureHeader,
} from './mock-adapter.js'
