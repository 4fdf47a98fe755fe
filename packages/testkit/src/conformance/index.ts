export {
  type AdapterConformanceOptions,
  type AdapterFactoryContext,
  describeAdapterConformance,
} from './describe-adapter-conformance.js'
export {
  ConformanceCheckFailure,
  type ReadOnlyConformanceCheck,
  type ReadOnlyConformanceSubject,
  readOnlyConformanceChecks,
  readOnlySuiteCheckNames,
} from './read-only-checks.js'
export { type ConformanceTestId, conformanceTestIds } from './test-ids.js'
