export { type AcmeSettings, createAcme } from './acme-adapter.js'
export { acmeCheckKinds, acmeReasonCodes, mapAcmeStatus } from './map-acme-check.js'
export { acmeTestCredentials, createAcmeDriver } from './simulator/acme-driver.js'
export {
  type AcmePlan,
  type AcmeSimulator,
  type AcmeSimulatorOptions,
  createAcmeSimulator,
} from './simulator/acme-simulator.js'
