/**
 * The simulator harness: the building blocks vendor simulators are made of (a controllable clock, a
 * fetch-first simulator with fault injection, a webhook deliverer, image and CSV fixtures) and the
 * driver contract the conformance suite drives them through. Free of test-runner imports, so the demo
 * can run simulators in production code.
 *
 * @packageDocumentation
 */
export * from './clock.js'
export * from './driver.js'
export * from './faults.js'
export * from './fixtures.js'
export * from './rate-windows.js'
export * from './schema-checking.js'
export * from './simulator.js'
export * from './webhook-deliverer.js'
