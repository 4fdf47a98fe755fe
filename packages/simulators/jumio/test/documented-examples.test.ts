import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import type { JumioApplicant } from '../src/index.js'
import { jumioWorkflows } from '../src/index.js'
import { accountRequest, type JumioTestServer, startJumio } from './jumio-test-server.js'

/**
 * The retrieval examples of Jumio's documentation, reproduced: seed 003's quickstart details
 * response (workflow 10011, a repeated face) and the details example of `reference/jumio-api.md`
 * (workflow 10013 on a tenant with "facemap on premise", an iProov facemap). The comparison walks
 * both documents field by field: the same paths with the same JSON types, and the same enumerated
 * values (decision types, labels, categories, classifiers, document codes). The reference example
 * abbreviates with `…`: its fixture fills placeholders with strings of the same type and spells out
 * LIVENESS_2…6, as the example's own comment says.
 */

let test: JumioTestServer
afterEach(async () => {
  await test?.close()
})

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))

/** Every path with its JSON type; array elements share the path `[]`. */
function shape(value: unknown, path = '$', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    out.add(`${path}: array`)
    for (const item of value) shape(item, `${path}[]`, out)
  } else if (value !== null && typeof value === 'object') {
    out.add(`${path}: object`)
    for (const [key, child] of Object.entries(value)) shape(child, `${path}.${key}`, out)
  } else {
    out.add(`${path}: ${value === null ? 'null' : typeof value}`)
  }
  return out
}

const enumerated = new Set([
  'type',
  'label',
  'category',
  'classifier',
  'status',
  'subType',
  'issuingCountry',
  'similarity',
  'state',
  'gender',
  'collectedBy',
  'obtained',
  'definitionKey',
  'searchStatus',
  'decisionAccepted',
])

/** The values of enumerated fields, per path. */
function enumeratedValues(
  value: unknown,
  path = '$',
  out = new Map<string, Set<string>>(),
): Map<string, Set<string>> {
  if (Array.isArray(value)) {
    for (const item of value) enumeratedValues(item, `${path}[]`, out)
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}.${key}`
      if (enumerated.has(key) && (typeof child === 'string' || typeof child === 'boolean')) {
        const values = out.get(childPath) ?? new Set<string>()
        values.add(String(child))
        out.set(childPath, values)
      } else {
        enumeratedValues(child, childPath, out)
      }
    }
  }
  return out
}

const sorted = (values: Set<string>) => [...values].sort()
const asRecord = (values: Map<string, Set<string>>) =>
  Object.fromEntries(
    [...values].sort(([a], [b]) => a.localeCompare(b)).map(([path, set]) => [path, sorted(set)]),
  )

async function details(accountId: string, workflowExecutionId: string): Promise<unknown> {
  const response = await test.call(
    'GET',
    `/api/v1/accounts/${accountId}/workflow-executions/${workflowExecutionId}`,
  )
  expect(response.status).toBe(200)
  return response.json()
}

describe('documented retrieval examples, reproduced', () => {
  it('seed 003: workflow 10011 through the web channel, a repeated face, consent collected by the customer', async () => {
    test = await startJumio()
    const seedApplicant: JumioApplicant = {
      firstName: 'JOHN JACOB',
      lastName: 'SMITH',
      dateOfBirth: '1969-01-18',
      documentNumber: 'N1234567',
      documentType: 'driving_license',
      issuingCountry: 'US',
      issueDate: '2019-12-26',
      expiryDate: '2025-01-18',
      state: 'CA',
      sex: 'male',
    }
    const { body } = await test.initiate(
      accountRequest(10011, test.jumio.clock.now(), {
        userReference: 'MyUser',
        customerInternalReference: 'transaction_1234',
      }),
    )
    await test.jumio.resolve(body.workflowExecution.id, 'repeated_face', {
      applicant: seedApplicant,
      channel: 'WEB',
    })
    const ours = await details(body.account.id, body.workflowExecution.id)
    const seed = fixture('seed-003-details.json')
    expect(sorted(shape(ours))).toEqual(sorted(shape(seed)))
    expect(asRecord(enumeratedValues(ours))).toEqual(asRecord(enumeratedValues(seed)))
    expect((ours as { decision: unknown }).decision).toEqual({
      type: 'WARNING',
      details: { label: 'WARNING' },
      risk: { score: 50 },
    })
  })

  it('reference details example: workflow 10013 with screening, an iProov facemap and facemap on premise', async () => {
    const base = jumioWorkflows.get(10013)!
    test = await startJumio({
      facemapOnPremise: true,
      workflows: [
        {
          ...base,
          capabilities: [
            'usability',
            'imageChecks',
            'extraction',
            'dataChecks',
            'similarity',
            'liveness',
            'watchlistScreening',
          ],
        },
      ],
    })
    const applicant: JumioApplicant = {
      firstName: 'first',
      lastName: 'last',
      dateOfBirth: '1970-01-01',
      documentNumber: 'number',
      documentType: 'id_card',
      issuingCountry: 'CL',
      expiryDate: '2050-01-01',
      optionalMrzField1: 'mrz1',
      optionalMrzField2: 'mrz2',
    }
    const { userConsent: _none, ...request } = accountRequest(10013, test.jumio.clock.now(), {
      userReference: 'u',
      customerInternalReference: 'c',
      workflowDefinition: {
        key: 10013,
        credentials: [
          { category: 'FACEMAP', type: { predefinedType: 'DEFINED', values: ['IPROOV_STANDARD'] } },
        ],
      },
    })
    const { body } = await test.initiate(request)
    await test.jumio.resolve(body.workflowExecution.id, 'repeated_face', {
      applicant,
      channel: 'WEB',
      profile: {
        imageChecks: { type: 'WARNING', label: 'REPEATED_FACE' },
        decision: { type: 'PASSED', score: 0 },
      },
    })
    const ours = await details(body.account.id, body.workflowExecution.id)
    const example = fixture('reference-details-example.json')
    expect(sorted(shape(ours))).toEqual(sorted(shape(example)))
    const values = asRecord(enumeratedValues(ours))
    const expected = asRecord(enumeratedValues(example))
    // The example lists usability for the ID only; a full web capture also checks the selfie and facemap.
    expect(values['$.capabilities.usability[].credentials[].category']).toEqual(['FACEMAP', 'ID', 'SELFIE'])
    delete values['$.capabilities.usability[].credentials[].category']
    delete expected['$.capabilities.usability[].credentials[].category']
    expect(values).toEqual(expected)
    const liveness = (ours as { capabilities: { liveness: { validFaceMapForAuthentication: string }[] } })
      .capabilities.liveness[0]!
    const facemap = body.workflowExecution.credentials.find(
      (credential) => credential.category === 'FACEMAP',
    )!
    expect(liveness.validFaceMapForAuthentication).toBe(
      `${test.url}/api/v1/accounts/${body.account.id}/credentials/${facemap.id}/parts/FACEMAP`,
    )
  })
})
