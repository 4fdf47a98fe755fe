/**
 * Cold start as an application feels it: the time to import `@openkyc/core` and one adapter in a
 * fresh process (module loading and evaluation; the runtime's own start-up is not counted), as the
 * bench's `package-cost` measures it on Node. The same script runs on every runtime; it prints
 * `{"coldStartMs":…}`.
 */
const startedAt = performance.now()
await Promise.all([import('@openkyc/core'), import('@openkyc/persona')])
console.log(JSON.stringify({ coldStartMs: performance.now() - startedAt }))
