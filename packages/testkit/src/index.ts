export * from './catalogue/index.js'
export * from './harness/index.js'
