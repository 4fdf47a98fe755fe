import { type ScenarioId, scenarioById, scenarios } from '@openkyc/testkit/catalogue'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createJumioConformanceDriver,
  createJumioEvidenceImage,
  type JumioConformanceDriver,
  jumioCallbackIpRanges,
  jumioSimulatorClient,
} from '../src/index.js'
import { accountRequest, userAgent } from './jumio-test-server.js'

let driver: JumioConformanceDriver | undefined
afterEach(async () => {
  await driver?.close()
  driver = undefined
})

/** Talks to the driver's fetch the way an adapter would (in process, on Jumio's host names). */
async function client(target: JumioConformanceDriver) {
  const tokenResponse = await target.fetch('https://auth.amer-1.jumio.ai/oauth2/token', {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${jumioSimulatorClient.id}:${jumioSimulatorClient.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': userAgent,
    },
    body: 'grant_type=client_credentials',
  })
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string }
  const headers = { authorization: `Bearer ${token}`, 'user-agent': userAgent }
  return {
    async create(key = 10013) {
      const response = await target.fetch('https://account.amer-1.jumio.ai/api/v1/accounts', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(accountRequest(key, target.now!())),
      })
      expect(response.status).toBe(200)
      return (await response.json()) as {
        account: { id: string }
        workflowExecution: {
          id: string
          credentials: { category: string; api?: { token: string; parts: Record<string, string> } }[]
        }
      }
    },
    async details(reference: { accountId: string; workflowExecutionId: string }) {
      const response = await target.fetch(
        `https://retrieval.amer-1.jumio.ai/api/v1/accounts/${reference.accountId}/workflow-executions/${reference.workflowExecutionId}`,
        { headers },
      )
      return (await response.json()) as { workflow: { status: string }; decision: { type: string } }
    },
  }
}

const finalDecision: Record<ScenarioId, [string, string]> = {
  clean_approve: ['PROCESSED', 'PASSED'],
  expired_document: ['PROCESSED', 'REJECTED'],
  tampered_document: ['PROCESSED', 'REJECTED'],
  unreadable_document: ['PROCESSED', 'REJECTED'],
  face_mismatch: ['PROCESSED', 'REJECTED'],
  liveness_failure: ['PROCESSED', 'REJECTED'],
  repeated_face: ['PROCESSED', 'WARNING'],
  watchlist_hit: ['PROCESSED', 'WARNING'],
  underage: ['PROCESSED', 'REJECTED'],
  applicant_abandons: ['SESSION_EXPIRED', 'NOT_EXECUTED'],
  manual_review_then_approve: ['PROCESSED', 'PASSED'],
}

describe('Jumio conformance driver', () => {
  it.each(scenarios.map((scenario) => scenario.id))(
    'runScenario reaches the end state of %s',
    async (scenarioId) => {
      driver = createJumioConformanceDriver()
      expect(driver.webhookSecurity).toBe('unsigned-fetch-back')
      const jumio = await client(driver)
      const created = await jumio.create()
      const reference = { accountId: created.account.id, workflowExecutionId: created.workflowExecution.id }
      const requestsBefore = driver.requestCount()
      await driver.runScenario({ reference, scenario: scenarioById(scenarioId) })
      // The driver acts behind the API: it sends no request the suite would count.
      expect(driver.requestCount()).toBe(requestsBefore)
      const details = await jumio.details(reference)
      expect([details.workflow.status, details.decision.type]).toEqual(finalDecision[scenarioId])
      const deliveries = await driver.webhookDeliveries({ reference })
      expect(deliveries.length).toBeGreaterThan(0)
      for (const delivery of deliveries) {
        expect(jumioCallbackIpRanges['amer-1']).toContain(delivery.remoteAddress)
        expect(delivery.headers.get('content-type')).toBe('application/json')
        expect(JSON.parse(delivery.rawBody).workflowExecution.id).toBe(reference.workflowExecutionId)
      }
      expect(JSON.parse(deliveries.at(-1)!.rawBody).workflowExecution.status).toBe(
        finalDecision[scenarioId][0],
      )
    },
  )

  it('stops a multi-step scenario at its intermediate state, then finishes it', async () => {
    driver = createJumioConformanceDriver()
    const jumio = await client(driver)
    const created = await jumio.create()
    const reference = { accountId: created.account.id, workflowExecutionId: created.workflowExecution.id }
    const scenario = scenarioById('manual_review_then_approve')
    await driver.runScenario({ reference, scenario, stage: 'intermediate' })
    expect((await jumio.details(reference)).decision.type).toBe('WARNING')
    await driver.runScenario({ reference, scenario, stage: 'final' })
    expect((await jumio.details(reference)).decision.type).toBe('PASSED')
    expect(await driver.webhookDeliveries({ reference })).toHaveLength(2)
  })

  it('keeps evidence the adapter uploaded through the API channel', async () => {
    driver = createJumioConformanceDriver()
    const jumio = await client(driver)
    const created = await jumio.create(10011)
    const id = created.workflowExecution.credentials.find((credential) => credential.category === 'ID')!
    const form = new FormData()
    form.set(
      'file',
      new Blob([new Uint8Array(createJumioEvidenceImage())], { type: 'image/jpeg' }),
      'front.jpg',
    )
    const upload = await driver.fetch(id.api!.parts.front!, {
      method: 'POST',
      headers: { authorization: `Bearer ${id.api!.token}`, 'user-agent': userAgent },
      body: form,
    })
    expect(upload.status).toBe(200)
    const reference = { accountId: created.account.id, workflowExecutionId: created.workflowExecution.id }
    await driver.runScenario({ reference, scenario: scenarioById('face_mismatch') })
    const execution = driver.simulator.execution(reference.workflowExecutionId)
    expect(execution.credentials.find((credential) => credential.category === 'ID')).toMatchObject({
      capturedVia: 'API',
    })
    expect(execution.decisionType).toBe('REJECTED')
  })

  it('lists callbacks per verification or all, and forges a callback whose status hint lies', async () => {
    driver = createJumioConformanceDriver()
    const jumio = await client(driver)
    const first = await jumio.create()
    const second = await jumio.create()
    const references = [first, second].map((created) => ({
      accountId: created.account.id,
      workflowExecutionId: created.workflowExecution.id,
    }))
    for (const reference of references)
      await driver.runScenario({ reference, scenario: scenarioById('clean_approve') })
    expect(await driver.webhookDeliveries()).toHaveLength(2)
    const [delivery] = await driver.webhookDeliveries({ reference: references[1]! })
    const forged = driver.forgeWebhook!('tampered-body', delivery!)
    const original = JSON.parse(delivery!.rawBody)
    const lie = JSON.parse(forged.rawBody)
    expect(lie.workflowExecution.id).toBe(original.workflowExecution.id)
    expect(lie.workflowExecution.status).not.toBe(original.workflowExecution.status)
    expect(forged.remoteAddress).toBe(delivery!.remoteAddress)
  })

  it('shares the vendor clock and fault injection with the suite', async () => {
    driver = createJumioConformanceDriver()
    const before = driver.now!()
    await driver.advanceTime(5000)
    expect(driver.now!()).toBe(before + 5000)
    driver.failNext({ status: 500 })
    const response = await driver.fetch('https://account.amer-1.jumio.ai/api/v1/accounts', { method: 'POST' })
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({ status: 500 })
  })
})
