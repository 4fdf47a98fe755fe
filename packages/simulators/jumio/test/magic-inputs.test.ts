import { scenarioById } from '@openkyc/testkit/catalogue'
import { afterEach, describe, expect, it } from 'vitest'
import { createJumioEvidenceImage } from '../src/index.js'
import { accountRequest, type JumioTestServer, startJumio, uploadPart } from './jumio-test-server.js'

let test: JumioTestServer
afterEach(async () => {
  await test?.close()
})

type Details = {
  decision: { type: string }
  capabilities: Record<
    string,
    { decision: { type: string; details: { label: string } }; data?: Record<string, unknown> }[]
  >
}

/** Creates an execution, uploads ID front and selfie through the API and finalizes; returns the details. */
async function throughApi(
  key: number,
  extra: Record<string, unknown>,
  images: { front?: Uint8Array; face?: Uint8Array } = {},
): Promise<{ details: Details; workflowExecutionId: string }> {
  const { body } = await test.initiate(accountRequest(key, test.jumio.clock.now(), extra))
  const id = body.workflowExecution.credentials.find((credential) => credential.category === 'ID')!
  const selfie = body.workflowExecution.credentials.find((credential) => credential.category === 'SELFIE')!
  const token = id.api!.token
  expect(
    (await uploadPart(test, id.api!.parts.front!, token, images.front ?? createJumioEvidenceImage())).status,
  ).toBe(200)
  const face = images.face ?? createJumioEvidenceImage({ width: 480, height: 640 })
  expect((await uploadPart(test, selfie.api!.parts.face!, token, face)).status).toBe(200)
  expect((await test.call('PUT', id.api!.workflowExecution, { token })).status).toBe(200)
  const response = await test.call(
    'GET',
    `/api/v1/accounts/${body.account.id}/workflow-executions/${body.workflowExecution.id}`,
  )
  return { details: (await response.json()) as Details, workflowExecutionId: body.workflowExecution.id }
}

const label = (details: Details, capability: string) =>
  details.capabilities[capability]![0]!.decision.details.label

describe('magic inputs', () => {
  it('a customerInternalReference starting with scenario:<id>', async () => {
    test = await startJumio()
    const { details, workflowExecutionId } = await throughApi(10011, {
      customerInternalReference: 'scenario:face_mismatch:42',
    })
    expect(label(details, 'similarity')).toBe('NO_MATCH')
    expect(test.jumio.execution(workflowExecutionId)).toMatchObject({
      scenarioId: 'face_mismatch',
      scenarioSource: 'reference',
    })
  })

  it('a userReference holding a catalogue last name', async () => {
    test = await startJumio()
    const { details } = await throughApi(10011, { userReference: 'Testperson-Spoof-7' })
    expect(label(details, 'liveness')).toBe('LIVENESS_UNDETERMINED')
  })

  it('the last name written into an uploaded JPEG (comment) or PNG (text chunk)', async () => {
    test = await startJumio()
    const expired = scenarioById('expired_document').applicant.lastName
    const jpeg = await throughApi(10011, {}, { front: createJumioEvidenceImage({ text: expired }) })
    expect(jpeg.details.decision.type).toBe('REJECTED')
    expect(label(jpeg.details, 'dataChecks')).toBe('DOCUMENT_EXPIRY_WITHIN_CONFIGURED_LIMIT')
    expect(jpeg.details.capabilities.extraction![0]!.data).toMatchObject({
      lastName: expired,
      expiryDate: '2019-02-14',
    })
    const tampered = scenarioById('tampered_document').applicant.lastName
    const png = await throughApi(
      10011,
      {},
      { face: createJumioEvidenceImage({ format: 'png', width: 480, height: 640, text: tampered }) },
    )
    expect(label(png.details, 'imageChecks')).toBe('MANIPULATED_DOCUMENT')
  })

  it('plain evidence is a clean approval', async () => {
    test = await startJumio()
    const { details, workflowExecutionId } = await throughApi(10011, {})
    expect(details.decision.type).toBe('PASSED')
    expect(test.jumio.execution(workflowExecutionId).scenarioId).toBe('clean_approve')
  })

  it('the last name in prepared data (standalone screening, workflow 10010)', async () => {
    test = await startJumio()
    const screen = async (lastName: string) => {
      const { body } = await test.initiate(accountRequest(10010, test.jumio.clock.now()))
      const data = body.workflowExecution.credentials[0]!
      const upload = await test.call('POST', data.api!.parts.prepared_data!, {
        token: data.api!.token,
        json: { firstName: 'Draxomir', lastName, dateOfBirth: '1969-10-08', address: { country: 'USA' } },
      })
      expect(upload.status).toBe(200)
      await test.call('PUT', data.api!.workflowExecution, { token: data.api!.token })
      const response = await test.call(
        'GET',
        `/api/v1/accounts/${body.account.id}/workflow-executions/${body.workflowExecution.id}`,
      )
      return (await response.json()) as Details
    }
    const hit = await screen('Testperson-Watchlist')
    expect(hit.decision.type).toBe('WARNING')
    expect(hit.capabilities.watchlistScreening![0]!.decision).toEqual({
      type: 'WARNING',
      details: { label: 'ALERT' },
    })
    expect(hit.capabilities.watchlistScreening![0]!.data).toMatchObject({ searchResults: 1 })
    const clear = await screen('Othername')
    expect(clear.capabilities.watchlistScreening![0]!.decision).toEqual({
      type: 'PASSED',
      details: { label: 'OK' },
    })
    expect(clear.capabilities.watchlistScreening![0]!.data).toMatchObject({ searchResults: 0 })
  })

  it('a scenario assigned through the control API before the adapter finalizes', async () => {
    test = await startJumio()
    const { body } = await test.initiate(accountRequest(10011, test.jumio.clock.now()))
    test.jumio.assignScenario(body.workflowExecution.id, 'repeated_face')
    const id = body.workflowExecution.credentials.find((credential) => credential.category === 'ID')!
    await uploadPart(test, id.api!.parts.front!, id.api!.token, createJumioEvidenceImage())
    await test.call('PUT', id.api!.workflowExecution, { token: id.api!.token })
    expect(test.jumio.execution(body.workflowExecution.id)).toMatchObject({
      scenarioId: 'repeated_face',
      decisionType: 'WARNING',
    })
  })
})
