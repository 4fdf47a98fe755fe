import { scenarios } from '@openkyc/testkit/catalogue'
import { describe, expect, it } from 'vitest'
import {
  createOnfidoConformanceDriver,
  onfidoScenarioRealisations,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  signOnfidoWebhook,
} from '../src/index.js'
import { validateOnfidoWebhookBody } from '../src/openapi/index.js'

const headers = {
  authorization: `Token token=${onfidoSimulatorApiToken}`,
  'content-type': 'application/json',
}

async function createRun(driver: ReturnType<typeof createOnfidoConformanceDriver>, lastName: string) {
  const applicant = await (
    await driver.fetch('https://api.eu.onfido.com/v3.6/applicants', {
      method: 'POST',
      headers,
      body: JSON.stringify({ first_name: 'Quillonda', last_name: lastName }),
    })
  ).json()
  const run = await (
    await driver.fetch('https://api.eu.onfido.com/v3.6/workflow_runs', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        applicant_id: applicant.id,
        workflow_id: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
      }),
    })
  ).json()
  return { applicantId: applicant.id as string, workflowRunId: run.id as string }
}

describe('Onfido conformance driver', () => {
  for (const scenario of scenarios) {
    it(`runScenario drives ${scenario.id} to its Onfido end state and the webhooks say so, signed`, async () => {
      const driver = createOnfidoConformanceDriver()
      try {
        const reference = await createRun(driver, scenario.applicant.lastName)
        const realisation = onfidoScenarioRealisations[scenario.id]
        if (realisation.afterReview) {
          await driver.runScenario({ reference, scenario, stage: 'intermediate' })
          expect(driver.simulator.run(reference.workflowRunId).status).toBe(realisation.runStatus)
        }
        await driver.runScenario({ reference, scenario })
        const finalStatus = realisation.afterReview?.runStatus ?? realisation.runStatus
        expect(driver.simulator.run(reference.workflowRunId).status).toBe(finalStatus)
        const deliveries = await driver.webhookDeliveries({ reference })
        expect(deliveries.length).toBeGreaterThan(0)
        for (const delivery of deliveries) {
          expect(delivery.headers.get('x-sha2-signature')).toBe(
            signOnfidoWebhook(delivery.rawBody, onfidoSimulatorWebhookToken),
          )
          expect(validateOnfidoWebhookBody(JSON.parse(delivery.rawBody)).errors).toEqual([])
        }
        const last = JSON.parse(deliveries.at(-1)!.rawBody)
        expect(last.payload).toMatchObject({
          action: 'workflow_run.completed',
          object: { status: finalStatus },
        })
        expect(driver.schemaViolations()).toEqual([])
        expect(driver.checkedResponses()).toBe(2)
        // Running the final stage again changes nothing.
        await driver.runScenario({ reference, scenario })
        expect((await driver.webhookDeliveries({ reference })).length).toBe(deliveries.length)
      } finally {
        await driver.close()
      }
    })
  }

  it('filters deliveries by verification and finds the run from an applicant-only reference', async () => {
    const driver = createOnfidoConformanceDriver()
    const first = await createRun(driver, 'Testperson-Approve')
    const second = await createRun(driver, 'Testperson-Expired')
    await driver.runScenario({ reference: { applicantId: second.applicantId }, scenario: scenarios[1]! })
    expect(driver.simulator.run(second.workflowRunId).status).toBe('declined')
    const firstOnly = await driver.webhookDeliveries({ reference: first })
    const all = await driver.webhookDeliveries()
    expect(firstOnly.length).toBeGreaterThan(0)
    expect(all.length).toBeGreaterThan(firstOnly.length)
    await driver.close()
  })

  it('declares a body-only signature and forges deliveries that no longer verify', async () => {
    const driver = createOnfidoConformanceDriver()
    const reference = await createRun(driver, 'Testperson-Approve')
    await driver.runScenario({ reference, scenario: scenarios[0]! })
    const genuine = (await driver.webhookDeliveries({ reference })).at(-1)!
    if (driver.webhookSecurity !== 'body-signature') expect.fail('Onfido signs the body only')
    for (const kind of ['bad-signature', 'tampered-body', 'unknown-secret'] as const) {
      const forged = driver.forgeWebhook(kind, genuine)
      expect(forged.headers.get('x-sha2-signature')).not.toBe(
        signOnfidoWebhook(forged.rawBody, onfidoSimulatorWebhookToken),
      )
    }
    expect(driver.forgeWebhook('tampered-body', genuine).rawBody).not.toBe(genuine.rawBody)
    await driver.close()
  })

  it('counts requests and injects faults through the harness controls', async () => {
    const driver = createOnfidoConformanceDriver()
    driver.failNext({ status: 500 })
    const response = await driver.fetch('https://api.eu.onfido.com/v3.6/applicants', { headers })
    expect(response.status).toBe(500)
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('internal_server_error')
    expect(driver.requestCount()).toBe(1)
    await driver.close()
  })
})

describe('API-channel references', () => {
  it('runScenario leaves an applicant without a run (a classic-check verification) as it is', async () => {
    const driver = createOnfidoConformanceDriver()
    const applicant = await (
      await driver.fetch('https://api.eu.onfido.com/v3.6/applicants', {
        method: 'POST',
        headers,
        body: JSON.stringify({ first_name: 'Quillonda', last_name: 'Testperson-Approve' }),
      })
    ).json()
    await driver.runScenario({ reference: { applicantId: applicant.id }, scenario: scenarios[0]! })
    expect(driver.simulator.runs()).toEqual([])
    expect(await driver.webhookDeliveries({ reference: { applicantId: applicant.id } })).toEqual([])
    await driver.close()
  })
})
