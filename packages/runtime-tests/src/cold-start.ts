/**
 * Cold start as an application feels it: the time to import `@openkyc/core` and one adapter in a
 * fresh process (module loading and evaluation; the runtime's own start-up is not counted), as the
 * bench's `package-cost` measures it on Node, then the first validation after it (the adapter's
 * settings and a model schema: where zod loads, on Node, and the schemas are built). The same
 * script runs on every runtime; it prints `{"coldStartMs":…,"firstValidationMs":…}`.
 */
const startedAt = performance.now()
const [core, persona] = await Promise.all([import('@openkyc/core'), import('@openkyc/persona')])
const importedAt = performance.now()
persona.createPersona({ apiKey: 'persona_sandbox_cold_start', templateId: 'itmpl_ColdStart', env: {} })
core.VerificationSchema.safeParse({})
console.log(
  JSON.stringify({ coldStartMs: importedAt - startedAt, firstValidationMs: performance.now() - importedAt }),
)
