import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { describeAdapterConformance } from '@openkyc/testkit'
import { createPersona } from '../src/index.js'
import { conformanceSettings, conformanceWebhookSecret } from './conformance-support.js'

// The same suite with API version 2025-12-08 on both sides: no default `included`, PII only in
// `fields`, check `requirement`s, and webhook payloads that carry `included`.
const apiVersion = '2025-12-08'

describeAdapterConformance({
  name: `persona (in-process, Persona-Version ${apiVersion})`,
  createAdapter: ({ fetch, logger, now, sleep }) =>
    createPersona({ ...conformanceSettings, apiVersion, fetch, logger, now, sleep }),
  driver: () =>
    createPersonaSimulator({
      defaultApiVersion: apiVersion,
      webhook: { secret: conformanceWebhookSecret, apiVersion },
    }).persona.conformanceDriver(),
})
