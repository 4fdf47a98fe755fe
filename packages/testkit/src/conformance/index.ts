export {
  type AdapterConformanceOptions,
  type AdapterFactoryContext,
  describeAdapterConformance,
} from './describe-adapter-conformance.js'
export { type ConformanceTestId, conformanceTestIds } from './test-ids.js'
