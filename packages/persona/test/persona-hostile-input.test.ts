/**
 * Issue 12, adapter side: hostile field names and ids against the Persona simulator. Each test fails
 * on main before issue 12 (checked once when it was written).
 */
import { KycInvalidRequestError } from '@openkyc/core'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { describe, expect, it } from 'vitest'
import { createPersona, type PersonaSettings } from '../src/index.js'

const apiKey = 'persona_sandbox_hostile-tests'

function setup() {
  const simulator = createPersonaSimulator()
  let sent = 0
  const fetch = (async (input: Request | string | URL, init?: RequestInit) => {
    sent += 1
    return simulator.fetch(input instanceof Request ? input : new Request(input, init))
  }) as typeof globalThis.fetch
  const settings: PersonaSettings = {
    apiKey,
    templateId: 'itmpl_HostileTests',
    caseTemplateId: 'ctmpl_HostileTests',
    fetch,
    sleep: async () => undefined,
    env: {},
  }
  return {
    persona: createPersona(settings),
    settings,
    get sent() {
      return sent
    },
  }
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error,
  )
}

describe('prototype pollution (issue 12, class 4)', () => {
  it('refuses __proto__, constructor and prototype in list items and fields, before any request', async () => {
    const context = setup()
    const { persona } = context
    const list = await persona.createList({ kind: 'email_address', name: 'blocked' })
    const before = context.sent
    const hostileItems = [
      JSON.parse('{"__proto__": {"polluted": "yes"}}'),
      { constructor: 'x' },
      { prototype: 'x' },
      { value: 'a@example.test', 'x.__proto__': 'x' },
    ]
    for (const item of hostileItems) {
      const error = await failure(persona.addListItems({ listId: list.id, items: [item] }))
      expect(error).toBeInstanceOf(KycInvalidRequestError)
    }
    const hostileFields = JSON.parse('{"__proto__": {"polluted": "yes"}, "name-first": "ERIKA"}')
    const accountError = await failure(
      persona.accounts.create({ referenceId: 'user-1', fields: hostileFields }),
    )
    expect(accountError).toBeInstanceOf(KycInvalidRequestError)
    expect(JSON.stringify(accountError)).not.toContain('ERIKA')
    const caseError = await failure(
      persona.cases.create({ fields: { constructor: { prototype: { polluted: 1 } } } }),
    )
    expect(caseError).toBeInstanceOf(KycInvalidRequestError)
    expect(context.sent).toBe(before)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    // A fresh adapter in the same process still works.
    const fresh = createPersona(context.settings)
    await expect(fresh.createVerification({ subjectReference: 'after-the-attack' })).resolves.toBeDefined()
  })
})

describe('ids cannot change the endpoint (issue 12, class 5)', () => {
  it.each([
    ['getVerification', { reference: { inquiryId: '..' } }],
    ['getVerification', { reference: { inquiryId: 'inq_1/../../accounts' } }],
    ['getVerification', { reference: { inquiryId: 'act_1' } }],
    ['cancelVerification', { reference: { inquiryId: '.' } }],
    ['deleteVerificationData', { reference: { inquiryId: '..' } }],
    ['reviewVerification', { reference: { inquiryId: '..' }, action: 'approve' }],
    ['createSessionLink', { reference: { inquiryId: 'inq_%2e%2e' } }],
    ['addListItems', { listId: '..', items: [{ value: 'a@example.test' }] }],
    ['setCaseStatus', { caseId: '..', status: 'Open' }],
    ['assignCase', { caseId: 'case_1/..', assignee: 'a@example.test' }],
  ] as const)('%s refuses %j before any request', async (method, options) => {
    const context = setup()
    const call = context.persona[method] as (options: unknown) => Promise<unknown>
    const error = await failure(call(options))
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect((error as Error).message).toMatch(/^Invalid (inquiryId|listId|caseId): /)
    expect(context.sent).toBe(0)
  })

  it('refuses hostile ids on the Persona-only API too', async () => {
    const context = setup()
    const { persona } = context
    const errors = await Promise.all([
      failure(persona.accounts.get({ accountId: '..' })),
      failure(persona.accounts.redact({ accountId: 'inq_1' })),
      failure(persona.lists.archive({ listId: '.' })),
      failure(persona.lists.getImporter({ importerId: '..' })),
      failure(persona.inquiries.resume({ inquiryId: '..' })),
    ])
    for (const error of errors) expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect(context.sent).toBe(0)
  })
})
