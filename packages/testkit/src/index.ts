/**
 * `@openkyc/testkit`: the conformance suite (needs vitest), the scenario catalogue and the simulator
 * harness. Code that runs outside a test runner (the demo, a dev server) imports
 * `@openkyc/testkit/harness`, `/catalogue`, `/jumio` or `/persona` instead.
 *
 * @packageDocumentation
 */
export * from './catalogue/index.js'
export * from './conformance/index.js'
export * from './harness/index.js'
export * from './markdown-tables.js'
