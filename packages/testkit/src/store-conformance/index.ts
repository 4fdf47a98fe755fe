/**
 * `@openkyc/testkit/store-conformance`: the suite every `KycStore` implementation runs (needs vitest).
 *
 * @packageDocumentation
 */
export {
  describeStoreConformance,
  type StoreBackDoors,
  type StoreConformanceOptions,
} from './describe-store-conformance.js'
