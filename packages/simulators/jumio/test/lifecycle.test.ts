import { afterEach, describe, expect, it } from 'vitest'
import {
  accountRequest,
  documentImage,
  type JumioTestServer,
  selfieImage,
  startJumio,
  uploadPart,
} from './jumio-test-server.js'

let test: JumioTestServer
afterEach(async () => {
  await test?.close()
})

const minute = 60_000

type Details = {
  workflow: { status: string }
  startedAt?: string
  completedAt?: string
  decision?: { type: string; details: { label: string }; risk: { score: number } }
  capabilities?: Record<string, { decision: { type: string; details: { label: string } } }[]>
}

async function create(key = 10011, extra: Record<string, unknown> = {}) {
  const { body } = await test.initiate(accountRequest(key, test.jumio.clock.now(), extra))
  const find = (category: string) =>
    body.workflowExecution.credentials.find((item) => item.category === category)!
  const base = `/api/v1/accounts/${body.account.id}/workflow-executions/${body.workflowExecution.id}`
  return {
    body,
    id: find('ID'),
    selfie: find('SELFIE'),
    status: async () =>
      ((await (await test.call('GET', `${base}/status`)).json()) as { workflowExecution: { status: string } })
        .workflowExecution.status,
    details: async () => (await (await test.call('GET', base)).json()) as Details,
    callbacks: () => test.jumio.callbacks.filter((message) => message.subject === body.workflowExecution.id),
  }
}

describe('state machine INITIATED → ACQUIRED → PROCESSED', () => {
  it('moves through every status on the simulator clock and calls back once PROCESSED', async () => {
    test = await startJumio({ processingDelayMs: 5000 })
    const execution = await create()
    expect(await execution.status()).toBe('INITIATED')
    expect((await execution.details()).startedAt).toBeUndefined()
    await uploadPart(test, execution.id.api!.parts.front!, execution.id.api!.token, documentImage())
    await uploadPart(test, execution.selfie.api!.parts.face!, execution.id.api!.token, selfieImage())
    expect(await execution.status()).toBe('INITIATED')
    expect((await execution.details()).startedAt).toBe(test.jumio.clock.isoNow())
    const finalize = await test.call('PUT', execution.id.api!.workflowExecution, {
      token: execution.id.api!.token,
    })
    expect(finalize.status).toBe(200)
    expect(await execution.status()).toBe('ACQUIRED')
    expect((await execution.details()).decision).toBeUndefined()
    expect(execution.callbacks()).toHaveLength(0)
    await test.jumio.advanceTime(4999)
    expect(await execution.status()).toBe('ACQUIRED')
    await test.jumio.advanceTime(1)
    expect(await execution.status()).toBe('PROCESSED')
    const details = await execution.details()
    expect(details.decision).toEqual({ type: 'PASSED', details: { label: 'PASSED' }, risk: { score: 0 } })
    expect(details.completedAt).toBe(test.jumio.clock.isoNow())
    expect(
      execution.callbacks().map((message) => JSON.parse(message.rawBody).workflowExecution.status),
    ).toEqual(['PROCESSED'])
  })

  it('processes at once by default', async () => {
    test = await startJumio()
    const execution = await create(2, { userConsent: undefined })
    await uploadPart(test, execution.id.api!.parts.front!, execution.id.api!.token, documentImage())
    await test.call('PUT', execution.id.api!.workflowExecution, { token: execution.id.api!.token })
    expect(await execution.status()).toBe('PROCESSED')
  })

  it('processes an execution finalized with missing evidence: usability NOT_UPLOADED, decision REJECTED', async () => {
    test = await startJumio()
    const execution = await create()
    await uploadPart(test, execution.id.api!.parts.front!, execution.id.api!.token, documentImage())
    await test.call('PUT', execution.id.api!.workflowExecution, { token: execution.id.api!.token })
    const details = await execution.details()
    expect(details.decision?.type).toBe('REJECTED')
    const labels = details.capabilities!.usability!.map((item) => item.decision.details.label)
    expect(labels).toEqual(['OK', 'NOT_UPLOADED'])
    expect(details.capabilities!.similarity![0]!.decision.details.label).toBe('PRECONDITION_NOT_FULFILLED')
  })
})

describe('expiry on the simulator clock', () => {
  it('TOKEN_EXPIRED when nothing happened within tokenLifetime; the token then answers 401', async () => {
    test = await startJumio()
    const execution = await create(10011, { tokenLifetime: '10m' })
    await test.jumio.advanceTime(10 * minute - 1)
    expect(await execution.status()).toBe('INITIATED')
    await test.jumio.advanceTime(1)
    expect(await execution.status()).toBe('TOKEN_EXPIRED')
    const details = await execution.details()
    expect(details.decision).toEqual({
      type: 'NOT_EXECUTED',
      details: { label: 'TOKEN_EXPIRED' },
      risk: { score: -1 },
    })
    expect(
      details.capabilities!.usability!.every((item) => item.decision.details.label === 'NOT_UPLOADED'),
    ).toBe(true)
    expect(details.capabilities!.liveness![0]!.decision.details.label).toBe('PRECONDITION_NOT_FULFILLED')
    expect(
      execution.callbacks().map((message) => JSON.parse(message.rawBody).workflowExecution.status),
    ).toEqual(['TOKEN_EXPIRED'])
    const upload = await uploadPart(
      test,
      execution.id.api!.parts.front!,
      execution.id.api!.token,
      documentImage(),
    )
    expect(upload.status).toBe(401)
    const finalize = await test.call('PUT', execution.id.api!.workflowExecution, {
      token: execution.id.api!.token,
    })
    expect(finalize.status).toBe(401)
  })

  it('SESSION_EXPIRED after 15 idle minutes once started; each upload resets the timer', async () => {
    test = await startJumio()
    const execution = await create()
    const token = execution.id.api!.token
    await uploadPart(test, execution.id.api!.parts.front!, token, documentImage())
    await test.jumio.advanceTime(14 * minute)
    expect((await uploadPart(test, execution.selfie.api!.parts.face!, token, selfieImage())).status).toBe(200)
    await test.jumio.advanceTime(15 * minute - 1)
    expect(await execution.status()).toBe('INITIATED')
    await test.jumio.advanceTime(1)
    expect(await execution.status()).toBe('SESSION_EXPIRED')
    expect((await execution.details()).decision?.details.label).toBe('SESSION_EXPIRED')
    expect((await uploadPart(test, execution.id.api!.parts.back!, token, documentImage())).status).toBe(401)
    expect(
      execution.callbacks().map((message) => JSON.parse(message.rawBody).workflowExecution.status),
    ).toEqual(['SESSION_EXPIRED'])
  })

  it('SESSION_EXPIRED when a started journey outlives its token', async () => {
    test = await startJumio()
    const execution = await create(10011, { tokenLifetime: '5m' })
    await uploadPart(test, execution.id.api!.parts.front!, execution.id.api!.token, documentImage())
    await test.jumio.advanceTime(5 * minute)
    expect(await execution.status()).toBe('SESSION_EXPIRED')
  })

  it('does not expire an execution that was finalized', async () => {
    test = await startJumio()
    const execution = await create(10011, { tokenLifetime: '5m' })
    await test.jumio.resolve(execution.body.workflowExecution.id, 'clean_approve')
    await test.jumio.advanceTime(30 * minute)
    expect(await execution.status()).toBe('PROCESSED')
  })

  it('can show expired decisions the way a real payload did (REJECTED / 100)', async () => {
    test = await startJumio({ expiredDecision: 'rejected' })
    const execution = await create(10011, { tokenLifetime: '5m' })
    await test.jumio.advanceTime(5 * minute)
    expect((await execution.details()).decision).toEqual({
      type: 'REJECTED',
      details: { label: 'REJECTED' },
      risk: { score: 100 },
    })
  })
})
