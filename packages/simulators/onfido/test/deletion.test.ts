import { describe, expect, it } from 'vitest'
import { type Json, startOnfido } from './onfido-test-server.js'

const day = 24 * 60 * 60 * 1000

describe('deletion (soft delete, restore, hard delete)', () => {
  it('deletes an applicant with no checks at once: gone, and restore cannot bring it back', async () => {
    const onfido = await startOnfido()
    const id = await onfido.createApplicant()
    expect((await onfido.call('DELETE', `/v3.6/applicants/${id}`)).status).toBe(204)
    expect((await onfido.call('GET', `/v3.6/applicants/${id}`)).status).toBe(404)
    expect((await onfido.call('POST', `/v3.6/applicants/${id}/restore`)).status).toBe(404)
    const all = await onfido.call('GET', '/v3.6/applicants?include_deleted=true')
    expect(all.body.applicants).toEqual([])
  })

  it('soft-deletes an applicant with checks for the deletion delay; restore brings everything back', async () => {
    const onfido = await startOnfido()
    const { applicantId, runId } = await onfido.createRun()
    await onfido.simulator.resolve(runId)
    const [check] = (await onfido.call('GET', `/v3.6/checks?applicant_id=${applicantId}`)).body.checks
    expect((await onfido.call('DELETE', `/v3.6/applicants/${applicantId}`)).status).toBe(204)
    for (const path of [
      `/v3.6/applicants/${applicantId}`,
      `/v3.6/workflow_runs/${runId}`,
      `/v3.6/checks/${check.id}`,
      `/v3.6/reports/${check.report_ids[0]}`,
    ]) {
      expect((await onfido.call('GET', path)).status, path).toBe(404)
    }
    expect((await onfido.call('GET', '/v3.6/applicants')).body.applicants).toEqual([])
    const withDeleted = await onfido.call('GET', '/v3.6/applicants?include_deleted=true')
    expect(withDeleted.body.applicants.map((applicant: Json) => [applicant.id, applicant.delete_at])).toEqual(
      [[applicantId, '2030-01-21T00:00:00Z']],
    )
    await onfido.clock.advance(10 * day)
    expect((await onfido.call('POST', `/v3.6/applicants/${applicantId}/restore`)).status).toBe(204)
    expect((await onfido.call('GET', `/v3.6/applicants/${applicantId}`)).body.delete_at).toBeNull()
    expect((await onfido.call('GET', `/v3.6/workflow_runs/${runId}`)).body.status).toBe('approved')
    // Restoring an applicant that is not deleted is refused.
    expect((await onfido.call('POST', `/v3.6/applicants/${applicantId}/restore`)).status).toBe(422)
    // The restored applicant is not hard-deleted when the old delay runs out.
    await onfido.clock.advance(11 * day)
    expect((await onfido.call('GET', `/v3.6/applicants/${applicantId}`)).status).toBe(200)
  })

  it('hard-deletes after the deletion delay: restore is then 404', async () => {
    const onfido = await startOnfido({ deletionDelayMs: 2 * day })
    const { applicantId, runId } = await onfido.createRun()
    await onfido.simulator.resolve(runId)
    await onfido.call('DELETE', `/v3.6/applicants/${applicantId}`)
    await onfido.clock.advance(2 * day)
    expect((await onfido.call('POST', `/v3.6/applicants/${applicantId}/restore`)).status).toBe(404)
    expect((await onfido.call('GET', '/v3.6/applicants?include_deleted=true')).body.applicants).toEqual([])
  })

  it('refuses to delete an applicant whose check is in progress (deletion_incomplete_checks)', async () => {
    const onfido = await startOnfido({ processingDelayMs: 60_000 })
    const applicantId = await onfido.createApplicant()
    await onfido.uploadEvidence(applicantId)
    await onfido.call('POST', '/v3.6/checks', {
      body: { applicant_id: applicantId, report_names: ['document'] },
    })
    const refused = await onfido.call('DELETE', `/v3.6/applicants/${applicantId}`)
    expect(refused.status).toBe(422)
    expect(refused.body.error).toMatchObject({
      type: 'deletion_incomplete_checks',
      message: 'Applicants with checks in progress cannot be deleted.',
    })
    await onfido.clock.advance(60_000)
    expect((await onfido.call('DELETE', `/v3.6/applicants/${applicantId}`)).status).toBe(204)
  })
})
