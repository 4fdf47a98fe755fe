/** {@link ./cold-start.ts}, with the Onfido adapter. */
const startedAt = performance.now()
const [core, onfido] = await Promise.all([import('@openkyc/core'), import('@openkyc/onfido')])
const importedAt = performance.now()
onfido.createOnfido({
  apiToken: 'api_sandbox.cold_start',
  workflowId: '5f6c1e2a-9b1d-4c3e-8f7a-1b2c3d4e5f60',
  env: {},
})
core.VerificationSchema.safeParse({})
console.log(
  JSON.stringify({ coldStartMs: importedAt - startedAt, firstValidationMs: performance.now() - importedAt }),
)
