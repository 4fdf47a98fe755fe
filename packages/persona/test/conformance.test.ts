import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { describeAdapterConformance } from '@openkyc/testkit'
import { afterAll, expect } from 'vitest'
import { createPersona } from '../src/index.js'
import {
  conformanceSettings,
  conformanceWebhookSecret,
  createValidatingFetch,
} from './conformance-support.js'

const checkers: ReturnType<typeof createValidatingFetch>[] = []

describeAdapterConformance({
  name: 'persona (in-process)',
  createAdapter: ({ fetch, logger, now, sleep }) => {
    // Every body the adapter sends during the suite is checked against Persona's official schemas.
    const checked = createValidatingFetch(fetch)
    checkers.push(checked)
    return createPersona({ ...conformanceSettings, fetch: checked.fetch, logger, now, sleep })
  },
  driver: () =>
    createPersonaSimulator({ webhook: { secret: conformanceWebhookSecret } }).persona.conformanceDriver(),
})

afterAll(() => {
  const validated = checkers.reduce((sum, checker) => sum + checker.validated(), 0)
  expect(validated, 'request bodies checked against the official schemas').toBeGreaterThan(50)
  expect(checkers.flatMap((checker) => checker.violations)).toEqual([])
  // mark-for-review is newer than the bundle: it is sent (by the review exercises) but has no schema.
  expect(
    checkers.flatMap((checker) => checker.undocumented).every((line) => line.endsWith('/mark-for-review')),
  ).toBe(true)
})
