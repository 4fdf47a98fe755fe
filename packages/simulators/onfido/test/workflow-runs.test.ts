import { scenarios } from '@openkyc/testkit/catalogue'
import { describe, expect, it } from 'vitest'
import { onfidoScenarioRealisations } from '../src/index.js'
import { type Json, startOnfido, workflowId } from './onfido-test-server.js'

describe('workflow runs', () => {
  it('creates a run awaiting input with its hosted link, a JWT-shaped SDK token and the start task', async () => {
    const onfido = await startOnfido()
    const applicantId = await onfido.createApplicant()
    const reply = await onfido.call('POST', '/v3.6/workflow_runs', {
      body: {
        workflow_id: workflowId,
        applicant_id: applicantId,
        tags: ['onboarding'],
        customer_user_id: 'user-1',
        link: { completed_redirect_url: 'https://app.example.test/done', language: 'de_DE' },
      },
    })
    expect(reply.status).toBe(201)
    expect(reply.body).toMatchObject({
      applicant_id: applicantId,
      workflow_id: workflowId,
      status: 'awaiting_input',
      output: null,
      reasons: [],
      error: null,
      tags: ['onboarding'],
      customer_user_id: 'user-1',
      dashboard_url: `https://dashboard.onfido.com/results/${reply.body.id}`,
      link: {
        url: `${onfido.server.url}/l/${reply.body.id}`,
        completed_redirect_url: 'https://app.example.test/done',
        expired_redirect_url: null,
        language: 'de_DE',
      },
    })
    expect(reply.body.sdk_token).toMatch(/^[0-9a-zA-Z_-]+\.[0-9a-zA-Z_-]+\.[0-9a-zA-Z_-]+$/)
    const tasks = await onfido.call('GET', `/v3.6/workflow_runs/${reply.body.id}/tasks`)
    expect(tasks.body.map((task: Json) => task.id)[0]).toBe('start')
    const start = await onfido.call('GET', `/v3.6/workflow_runs/${reply.body.id}/tasks/start`)
    expect(start.body.output).toEqual({ uuid: applicantId })
  })

  it('refuses a run for an unknown applicant and a missing workflow_id with 422', async () => {
    const onfido = await startOnfido()
    const unknown = await onfido.call('POST', '/v3.6/workflow_runs', {
      body: { workflow_id: workflowId, applicant_id: '6c0a4b1e-6a0f-4f43-9d5e-2f7b8c9d0e1f' },
    })
    expect(unknown.status).toBe(422)
    expect(Object.keys(unknown.body.error.fields)).toEqual(['applicant_id'])
    const applicantId = await onfido.createApplicant()
    const missing = await onfido.call('POST', '/v3.6/workflow_runs', { body: { applicant_id: applicantId } })
    expect(missing.status).toBe(422)
    expect(Object.keys(missing.body.error.fields)).toEqual(['workflow_id'])
  })

  for (const scenario of scenarios) {
    const realisation = onfidoScenarioRealisations[scenario.id]
    it(`realises ${scenario.id} through its magic last name: run ${realisation.runStatus}, reasons and reports`, async () => {
      const onfido = await startOnfido()
      const { applicantId, runId } = await onfido.createRun(scenario.applicant.lastName)
      if (scenario.id === 'applicant_abandons') {
        onfido.simulator.open(runId)
        await onfido.clock.advance(24 * 60 * 60 * 1000 + 1)
      } else {
        await onfido.simulator.resolve(runId)
      }
      const run = await onfido.call('GET', `/v3.6/workflow_runs/${runId}`)
      expect(run.body.status).toBe(realisation.runStatus)
      expect(run.body.reasons).toEqual(realisation.reasons)
      const checks = await onfido.call('GET', `/v3.6/checks?applicant_id=${applicantId}`)
      if (scenario.id === 'applicant_abandons') {
        expect(checks.body.checks).toEqual([])
        return
      }
      expect(checks.body.checks).toHaveLength(1)
      const check = checks.body.checks[0]
      expect(check.status).toBe('complete')
      const reports = await onfido.call('GET', `/v3.6/reports?check_id=${check.id}`)
      const byName = Object.fromEntries(reports.body.reports.map((report: Json) => [report.name, report]))
      expect(Object.keys(byName).sort()).toEqual([
        'document',
        'facial_similarity_photo',
        'known_faces',
        'watchlist_standard',
      ])
      for (const [name, outcome] of Object.entries(realisation.reports)) {
        expect(byName[name].result).toBe(outcome.result)
        for (const [group, item] of outcome.consider) {
          expect(byName[name].breakdown[group].result).toBe('consider')
          if (item !== '') expect(byName[name].breakdown[group].breakdown[item].result).toBe('consider')
        }
      }
      expect(check.result).toBe(Object.keys(realisation.reports).length === 0 ? 'clear' : 'consider')
      const document = byName.document
      expect(document.properties).toMatchObject({
        first_name: scenario.applicant.firstName,
        last_name: scenario.applicant.lastName,
        date_of_birth: scenario.applicant.dateOfBirth,
        document_numbers: [{ type: 'document_number', value: scenario.applicant.documentNumber }],
      })
      expect(document.properties.issuing_country).toHaveLength(3)
      // The one report carrying the scenario's extracted data also names the media it used.
      const single = await onfido.call('GET', `/v3.6/reports/${document.id}`)
      expect(single.body.documents).toHaveLength(1)
      if (realisation.afterReview) {
        await onfido.simulator.review(runId)
        const reviewed = await onfido.call('GET', `/v3.6/workflow_runs/${runId}`)
        expect(reviewed.body.status).toBe(realisation.afterReview.runStatus)
      }
    })
  }

  it('keeps evidence uploaded through the API and uses it in the reports', async () => {
    const onfido = await startOnfido()
    const { applicantId, runId } = await onfido.createRun()
    const { documentId, livePhotoId } = await onfido.uploadEvidence(applicantId)
    await onfido.simulator.resolve(runId)
    const [check] = (await onfido.call('GET', `/v3.6/checks?applicant_id=${applicantId}`)).body.checks
    const reports = (await onfido.call('GET', `/v3.6/reports?check_id=${check.id}`)).body.reports
    const face = reports.find((report: Json) => report.name === 'facial_similarity_photo')
    expect(face.live_photos).toEqual([{ id: livePhotoId }])
    expect(face.documents).toEqual([{ id: documentId }])
    const documents = await onfido.call('GET', `/v3.6/documents?applicant_id=${applicantId}`)
    expect(documents.body.documents).toHaveLength(1)
  })

  it('reaches all eight statuses: processing, awaiting_input, awaiting_client_input and the five ends', async () => {
    const seen = new Set<string>()
    const onfido = await startOnfido({ processingDelayMs: 5000 })
    const statusOf = async (runId: string) => {
      const status = (await onfido.call('GET', `/v3.6/workflow_runs/${runId}`)).body.status as string
      seen.add(status)
      return status
    }
    const client = await onfido.createRun('Testperson-Approve')
    expect(await statusOf(client.runId)).toBe('awaiting_input')
    await onfido.simulator.resolve(client.runId, { clientInput: true })
    expect(await statusOf(client.runId)).toBe('awaiting_client_input')
    const tasks = (await onfido.call('GET', `/v3.6/workflow_runs/${client.runId}/tasks`)).body as Json[]
    const pending = tasks.at(-1)
    expect(pending.task_def_id).toBe('client_input')
    const completed = await onfido.call(
      'POST',
      `/v3.6/workflow_runs/${client.runId}/tasks/${pending.id}/complete`,
      {
        body: { data: { reviewed: true } },
      },
    )
    expect(completed.status).toBe(200)
    expect(await statusOf(client.runId)).toBe('processing')
    const again = await onfido.call(
      'POST',
      `/v3.6/workflow_runs/${client.runId}/tasks/${pending.id}/complete`,
      {
        body: { data: {} },
      },
    )
    expect(again.status).toBe(422)
    await onfido.clock.advance(5000)
    expect(await statusOf(client.runId)).toBe('approved')
    for (const [lastName, status] of [
      ['Testperson-Expired', 'declined'],
      ['Testperson-Watchlist', 'review'],
    ] as const) {
      const { runId } = await onfido.createRun(lastName)
      await onfido.simulator.resolve(runId)
      await onfido.clock.advance(5000)
      expect(await statusOf(runId)).toBe(status)
    }
    const abandoned = await onfido.createRun()
    await onfido.simulator.abandon(abandoned.runId)
    expect(await statusOf(abandoned.runId)).toBe('abandoned')
    const failed = await onfido.createRun()
    await onfido.simulator.fail(failed.runId)
    expect(await statusOf(failed.runId)).toBe('error')
    const error = (await onfido.call('GET', `/v3.6/workflow_runs/${failed.runId}`)).body.error
    expect(error).toEqual({ type: 'task_error', message: 'A workflow task failed.' })
    expect([...seen].sort()).toEqual(
      [
        'abandoned',
        'approved',
        'awaiting_client_input',
        'awaiting_input',
        'declined',
        'error',
        'processing',
        'review',
      ].sort(),
    )
  })

  it('abandons a run when its link expires', async () => {
    const onfido = await startOnfido()
    const expiresAt = '2030-01-01T01:00:00Z'
    const { runId } = await onfido.createRun('Testperson-Approve', { link: { expires_at: expiresAt } })
    await onfido.clock.advance(60 * 60 * 1000)
    expect((await onfido.call('GET', `/v3.6/workflow_runs/${runId}`)).body.status).toBe('abandoned')
  })

  it('lists runs as a bare array, filtered by status and applicant', async () => {
    const onfido = await startOnfido()
    const approved = await onfido.createRun('Testperson-Approve')
    await onfido.simulator.resolve(approved.runId)
    const waiting = await onfido.createRun('Testperson-Approve')
    const all = await onfido.call('GET', '/v3.6/workflow_runs')
    expect(Array.isArray(all.body)).toBe(true)
    expect(all.body).toHaveLength(2)
    const onlyApproved = await onfido.call('GET', '/v3.6/workflow_runs?status=approved,declined')
    expect(onlyApproved.body.map((run: Json) => run.id)).toEqual([approved.runId])
    const byApplicant = await onfido.call('GET', `/v3.6/workflow_runs?applicant_id=${waiting.applicantId}`)
    expect(byApplicant.body.map((run: Json) => run.id)).toEqual([waiting.runId])
  })

  it('issues SDK tokens with 200 (not 201)', async () => {
    const onfido = await startOnfido()
    const applicantId = await onfido.createApplicant()
    const reply = await onfido.call('POST', '/v3.6/sdk_token', {
      body: { applicant_id: applicantId, referrer: 'https://*.example.test/*' },
    })
    expect(reply.status).toBe(200)
    expect(reply.body.token).toMatch(/^[0-9a-zA-Z._-]+$/)
  })
})
