import { type ScenarioId, scenarioById, scenarios } from '@openkyc/testkit/catalogue'
import { afterEach, describe, expect, it } from 'vitest'
import { JumioControlError } from '../src/index.js'
import { accountRequest, type JumioTestServer, startJumio } from './jumio-test-server.js'

let test: JumioTestServer
afterEach(async () => {
  await test?.close()
})

type Capability = {
  id: string
  credentials: { id: string; category: string }[]
  decision: { type: string; details: { label: string } }
  data?: Record<string, unknown>
}
type Details = {
  workflow: { id: string; status: string; definitionKey: string; customerInternalReference: string }
  credentials: { id: string; category: string; parts?: { classifier: string; href?: string }[] }[]
  decision: { type: string; details: { label: string }; risk: { score: number } }
  steps?: { href: string }
  capabilities: Record<string, Capability[]>
}

/** The status, decision and one telling capability each scenario must show at Jumio. */
const expected: Record<
  ScenarioId,
  { status: string; decision: string; score: number; capability?: [string, string, string] }
> = {
  clean_approve: {
    status: 'PROCESSED',
    decision: 'PASSED',
    score: 0,
    capability: ['similarity', 'PASSED', 'MATCH'],
  },
  expired_document: {
    status: 'PROCESSED',
    decision: 'REJECTED',
    score: 100,
    capability: ['dataChecks', 'WARNING', 'DOCUMENT_EXPIRY_WITHIN_CONFIGURED_LIMIT'],
  },
  tampered_document: {
    status: 'PROCESSED',
    decision: 'REJECTED',
    score: 100,
    capability: ['imageChecks', 'REJECTED', 'MANIPULATED_DOCUMENT'],
  },
  unreadable_document: {
    status: 'PROCESSED',
    decision: 'REJECTED',
    score: 100,
    capability: ['usability', 'REJECTED', 'BLURRED'],
  },
  face_mismatch: {
    status: 'PROCESSED',
    decision: 'REJECTED',
    score: 100,
    capability: ['similarity', 'REJECTED', 'NO_MATCH'],
  },
  liveness_failure: {
    status: 'PROCESSED',
    decision: 'REJECTED',
    score: 100,
    capability: ['liveness', 'REJECTED', 'LIVENESS_UNDETERMINED'],
  },
  repeated_face: {
    status: 'PROCESSED',
    decision: 'WARNING',
    score: 50,
    capability: ['imageChecks', 'WARNING', 'REPEATED_FACE'],
  },
  watchlist_hit: {
    status: 'PROCESSED',
    decision: 'WARNING',
    score: 50,
    capability: ['watchlistScreening', 'WARNING', 'ALERT'],
  },
  underage: {
    status: 'PROCESSED',
    decision: 'REJECTED',
    score: 100,
    capability: ['extraction', 'PASSED', 'OK'],
  },
  applicant_abandons: { status: 'SESSION_EXPIRED', decision: 'NOT_EXECUTED', score: -1 },
  manual_review_then_approve: {
    status: 'PROCESSED',
    decision: 'PASSED',
    score: 0,
    capability: ['dataChecks', 'WARNING', 'MISMATCHING_DATAPOINTS'],
  },
}

async function resolved(scenarioId: ScenarioId, key = 10013, stage?: 'intermediate' | 'final') {
  const { body } = await test.initiate(
    accountRequest(key, test.jumio.clock.now(), { customerInternalReference: `order-${scenarioId}` }),
  )
  await test.jumio.resolve(body.workflowExecution.id, scenarioId, stage === undefined ? {} : { stage })
  const base = `/api/v1/accounts/${body.account.id}/workflow-executions/${body.workflowExecution.id}`
  const get = async (path: string) => {
    const response = await test.call('GET', path)
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }
  return { body, base, get }
}

describe('retrieval for every catalogue scenario (workflow 10013)', () => {
  it.each(scenarios.map((scenario) => scenario.id))('%s', async (scenarioId) => {
    test = await startJumio()
    const want = expected[scenarioId]
    const { body, base, get } = await resolved(scenarioId)

    const status = await get(`${base}/status`)
    expect(status.status).toBe(200)
    expect(status.body).toEqual({
      account: { id: body.account.id, href: `${test.url}/api/v1/accounts/${body.account.id}` },
      workflowExecution: {
        id: body.workflowExecution.id,
        href: `${test.url}/api/v1/workflow-executions/${body.workflowExecution.id}`,
        definitionKey: '10013',
        status: want.status,
      },
    })

    const details = (await get(base)).body as unknown as Details
    expect(details.workflow).toMatchObject({
      status: want.status,
      definitionKey: '10013',
      customerInternalReference: `order-${scenarioId}`,
    })
    expect(details.decision.type).toBe(want.decision)
    expect(details.decision.risk.score).toBe(want.score)
    if (want.capability !== undefined) {
      const [name, type, label] = want.capability
      const results = details.capabilities[name]!
      expect(
        results.some((result) => result.decision.type === type && result.decision.details.label === label),
      ).toBe(true)
    }
    // Every capability id appears in exactly one step, and steps carry a decision.
    const steps = (await get(`${base}/steps`)).body as {
      steps: { name: string; capabilityIds: string[]; decision: { type: string } }[]
    }
    expect(details.steps!.href).toBe(`${test.url}${base}/steps`)
    const capabilityIds = Object.values(details.capabilities).flatMap((results) =>
      results.map((result) => result.id),
    )
    expect(steps.steps.flatMap((step) => step.capabilityIds).sort()).toEqual([...capabilityIds].sort())
    expect(steps.steps.map((step) => step.name)).toEqual([
      'ID_IV',
      'SCREENING',
      'ADDRESS_VERIFICATION',
      'DL_VERIFICATION',
    ])

    // Every part with an href can be fetched; the FACEMAP itself is listed without one.
    for (const credential of details.credentials) {
      for (const part of credential.parts ?? []) {
        if (part.classifier === 'FACEMAP') {
          expect(part.href).toBeUndefined()
          continue
        }
        const response = await test.call('GET', part.href!)
        expect(response.status, part.classifier).toBe(200)
        expect(response.headers.get('content-type')).toMatch(/^image\/(jpeg|png)$/)
        expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0)
      }
    }
    // Status and steps never carry personal data.
    const applicant = scenarioById(scenarioId).applicant
    for (const text of [JSON.stringify(status.body), JSON.stringify(steps)]) {
      expect(text).not.toContain(applicant.lastName)
      expect(text).not.toContain(applicant.documentNumber)
    }
  })
})

describe('scenario details', () => {
  it('extraction reads the applicant off the document, with Jumio codes (alpha-3, M/F/X, age as a string)', async () => {
    test = await startJumio()
    const { base, get } = await resolved('expired_document')
    const details = (await get(base)).body as unknown as Details
    const applicant = scenarioById('expired_document').applicant
    expect(details.capabilities.extraction![0]!.data).toEqual({
      type: 'ID_CARD',
      subType: 'NATIONAL_ID',
      issuingCountry: 'FRA',
      firstName: applicant.firstName,
      lastName: applicant.lastName,
      dateOfBirth: applicant.dateOfBirth,
      expiryDate: '2019-02-14',
      issuingDate: '2009-02-15',
      documentNumber: applicant.documentNumber,
      gender: 'M',
      currentAge: expect.stringMatching(/^\d+$/),
    })
  })

  it('an under-age applicant shows a current age under 18', async () => {
    test = await startJumio()
    const { base, get } = await resolved('underage')
    const details = (await get(base)).body as unknown as Details
    expect(Number(details.capabilities.extraction![0]!.data!.currentAge)).toBeLessThan(18)
  })

  it('a rejected prerequisite leaves its dependants NOT_EXECUTED / PRECONDITION_NOT_FULFILLED', async () => {
    test = await startJumio()
    const { base, get } = await resolved('unreadable_document')
    const { capabilities } = (await get(base)).body as unknown as Details
    for (const name of [
      'imageChecks',
      'extraction',
      'dataChecks',
      'similarity',
      'watchlistScreening',
      'drivingLicenseVerification',
    ]) {
      expect(capabilities[name]![0]!.decision, name).toEqual({
        type: 'NOT_EXECUTED',
        details: { label: 'PRECONDITION_NOT_FULFILLED' },
      })
    }
    expect(capabilities.liveness![0]!.decision.type).toBe('PASSED')
  })

  it('a repeated face lists the other executions it was found in', async () => {
    test = await startJumio()
    const { base, get } = await resolved('repeated_face')
    const { capabilities } = (await get(base)).body as unknown as Details
    expect(capabilities.imageChecks![0]!.data).toEqual({
      faceSearchFindings: { status: 'DONE', findings: [expect.any(String), expect.any(String)] },
    })
  })

  it('a watchlist hit carries the screening search data', async () => {
    test = await startJumio()
    const { base, get } = await resolved('watchlist_hit')
    const { capabilities } = (await get(base)).body as unknown as Details
    expect(capabilities.watchlistScreening![0]!.data).toEqual({
      searchDate: test.jumio.clock.isoNow(),
      searchId: expect.stringMatching(/^\d+$/),
      searchReference: expect.any(String),
      searchResultUrl: expect.stringMatching(/^https:\/\//),
      searchResults: 1,
      searchStatus: 'SUCCESS',
    })
  })

  it('manual review: WARNING first, PASSED after the back-office review with a second callback', async () => {
    test = await startJumio()
    const { body, base, get } = await resolved('manual_review_then_approve', 10013, 'intermediate')
    expect(((await get(base)).body as unknown as Details).decision.type).toBe('WARNING')
    await test.jumio.review(body.workflowExecution.id)
    expect(((await get(base)).body as unknown as Details).decision.type).toBe('PASSED')
    const statuses = test.jumio.callbacks.map(
      (message) => JSON.parse(message.rawBody).workflowExecution.status,
    )
    expect(statuses).toEqual(['PROCESSED', 'PROCESSED'])
  })

  it('watchlist hits need a screening workflow: the control API says so for workflow 10011', async () => {
    test = await startJumio()
    const { body } = await test.initiate(accountRequest(10011, test.jumio.clock.now()))
    await expect(test.jumio.resolve(body.workflowExecution.id, 'watchlist_hit')).rejects.toBeInstanceOf(
      JumioControlError,
    )
  })

  it('steps answer 404 for v3 workflows, as Jumio documents for non-KYX workflows', async () => {
    test = await startJumio()
    const { base, get } = await resolved('clean_approve', 3)
    expect((await get(`${base}/steps`)).status).toBe(404)
    expect((await get(base)).body).not.toHaveProperty('steps')
  })
})

describe('deletion', () => {
  it('deletes one workflow execution: its retrieval and parts answer 404, the account lives on', async () => {
    test = await startJumio()
    const { body, base, get } = await resolved('clean_approve', 10011)
    const details = (await get(base)).body as unknown as Details
    const partHref = details.credentials.find((credential) => credential.category === 'ID')!.parts![0]!.href!
    const deleted = await test.call('DELETE', base)
    expect(deleted.status).toBe(200)
    expect((await get(base)).status).toBe(404)
    expect((await get(`${base}/status`)).status).toBe(404)
    expect((await test.call('GET', partHref)).status).toBe(404)
    expect((await test.call('DELETE', base)).status).toBe(404)
    expect((await get(`/api/v1/accounts/${body.account.id}`)).status).toBe(200)
  })

  it('deletes an account with all its executions; everything answers 404 afterwards', async () => {
    test = await startJumio()
    const { body, base, get } = await resolved('clean_approve', 10011)
    const second = await test.initiate(accountRequest(2, test.jumio.clock.now()), body.account.id)
    const secondBase = `/api/v1/accounts/${body.account.id}/workflow-executions/${second.body.workflowExecution.id}`
    const details = (await get(base)).body as unknown as Details
    const partHref = details.credentials.find((credential) => credential.category === 'SELFIE')!.parts![0]!
      .href!
    expect((await test.call('DELETE', `/api/v1/accounts/${body.account.id}`)).status).toBe(200)
    for (const path of [
      base,
      `${base}/status`,
      `${base}/steps`,
      secondBase,
      partHref,
      `/api/v1/accounts/${body.account.id}`,
    ]) {
      expect((await test.call('GET', path)).status, path).toBe(404)
    }
    expect((await test.initiate(accountRequest(2, test.jumio.clock.now()), body.account.id)).status).toBe(404)
    expect((await test.call('DELETE', `/api/v1/accounts/${body.account.id}`)).status).toBe(404)
  })
})
