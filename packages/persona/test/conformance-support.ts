import { validatePersonaRequest } from '@openkyc/simulator-persona'

/** The simulator's webhook secret and the adapter settings every conformance run shares. */
export const conformanceWebhookSecret = 'wbhsec_conformance'
export const conformanceSettings = {
  apiKey: 'persona_sandbox_conformance',
  templateId: 'itmpl_Conformance',
  caseTemplateId: 'ctmpl_Conformance',
  webhookSecrets: [conformanceWebhookSecret],
  env: {},
} as const

/** A request body that Persona's official OpenAPI schema does not accept. */
export type SchemaViolation = { operation: string; pointer: string; message: string }

/**
 * Operations the adapter uses that the official 2023-01-05 bundle does not describe (added to
 * Persona's API later), so there is no schema to validate their bodies against.
 */
export const undocumentedOperations = [/^POST \/api\/v1\/inquiries\/[^/]+\/mark-for-review$/]

/**
 * Wraps the simulated vendor's `fetch` so every request body the adapter sends is checked against
 * Persona's official OpenAPI request schema (testkit's validator) before it reaches the simulator.
 */
export function createValidatingFetch(inner: typeof fetch) {
  const violations: SchemaViolation[] = []
  const undocumented: string[] = []
  let validated = 0
  const validating = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init)
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const text = await request.clone().text()
      const path = new URL(request.url).pathname
      const line = `${request.method} ${path}`
      if (undocumentedOperations.some((pattern) => pattern.test(line))) {
        undocumented.push(line)
      } else {
        const result = validatePersonaRequest({
          method: request.method,
          path,
          ...(text === '' ? {} : { body: JSON.parse(text) }),
        })
        validated += 1
        if (result.operation === undefined) {
          violations.push({ operation: line, pointer: '', message: 'no documented operation' })
        }
        for (const error of result.errors) {
          violations.push({
            operation: result.operation ?? line,
            pointer: error.pointer,
            message: error.message,
          })
        }
      }
    }
    return inner(request)
  }
  return { fetch: validating as typeof fetch, violations, undocumented, validated: () => validated }
}
