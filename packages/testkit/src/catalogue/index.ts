/**
 * The scenario catalogue: named synthetic applicants and the normalized outcome every conforming
 * adapter reports for them. Free of test-runner imports.
 *
 * @packageDocumentation
 */
export * from './scenario.js'
export * from './scenarios.js'
