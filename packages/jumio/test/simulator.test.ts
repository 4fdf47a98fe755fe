import { createWebhookPipeline, KycInvalidRequestError, type WebhookOutcome } from '@openkyc/core'
import { createJumioConformanceDriver, jumioSimulatorClient } from '@openkyc/simulator-jumio'
import { createJpeg, scenarioById } from '@openkyc/testkit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createJumio } from '../src/index.js'

/** The error a call rejects with (fails the test when it resolves). */
function rejectionOf<T>(promise: Promise<unknown>): Promise<T> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (caught: unknown) => caught as T,
  )
}

type Driver = Awaited<ReturnType<typeof createJumioConformanceDriver>>
const drivers: Driver[] = []
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((driver) => driver.close()))
})

async function setup() {
  const driver = await createJumioConformanceDriver()
  drivers.push(driver)
  const jumio = createJumio({
    clientId: jumioSimulatorClient.id,
    clientSecret: jumioSimulatorClient.secret,
    region: 'amer-1',
    userAgent: 'OpenKYC Tests/1.0',
    workflowKey: 32,
    fetch: driver.fetch,
    now: () => driver.now?.() ?? Date.now(),
    sleep: async () => {},
    transactionRateLimit: false,
    env: {},
    userConsent: { userIp: '203.0.113.10', userLocation: { country: 'DE' } },
  })
  return { driver, jumio }
}

describe('against the Jumio simulator', () => {
  it('says which field Jumio refused in a 400, and the setting behind it', async () => {
    const driver = await createJumioConformanceDriver()
    drivers.push(driver)
    // Let a loopback URL past our own start-up check, so the simulator (as strict as Jumio) refuses it.
    const jumio = createJumio({
      clientId: jumioSimulatorClient.id,
      clientSecret: jumioSimulatorClient.secret,
      region: 'amer-1',
      userAgent: 'OpenKYC Tests/1.0',
      callbackUrl: 'http://127.0.0.1:4000/webhooks/jumio',
      allowInsecureCallbackUrl: true,
      fetch: driver.fetch,
      sleep: async () => {},
      transactionRateLimit: false,
      env: {},
    })
    const error = await rejectionOf<KycInvalidRequestError>(
      jumio.createVerification({ subjectReference: 'user-400' }),
    )
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect(error.message).toBe(
      'jumio POST api/v1/accounts failed with HTTP 400: Jumio refused callbackUrl (check the callbackUrl setting (JUMIO_CALLBACK_URL)).',
    )
    expect(error.issues).toEqual([{ path: ['callbackUrl'], message: 'Rejected by jumio' }])
  })

  it('refuses a country that is not ISO 3166-1 alpha-2 in upper case, saying so', async () => {
    const { jumio } = await setup()
    for (const country of ['XX', 'de']) {
      const error = await rejectionOf<KycInvalidRequestError>(
        jumio.createVerification({ subjectReference: 'user-country', country }),
      )
      expect(error).toBeInstanceOf(KycInvalidRequestError)
      expect(error.message).toBe(
        'Invalid createVerification options for Jumio: country: expected an ISO 3166-1 alpha-2 country code in upper case, for example "DE".',
      )
    }
  })

  it('runs the API channel end to end: upload with the transaction token, finalize, read the decision', async () => {
    const { jumio } = await setup()
    const { verification } = await jumio.createVerification({
      subjectReference: 'api-channel-user',
      channel: 'api',
      country: 'DE',
      documentTypes: ['passport'],
    })
    const { reference } = verification
    // Jumio's minimum resolutions: documents 563 × 355, selfies 480 × 640.
    const document = createJpeg({ width: 800, height: 520 })
    const selfie = createJpeg({ width: 600, height: 800 })
    await jumio.uploadCredential({
      reference,
      kind: 'id_document',
      part: 'front',
      content: document,
      contentType: 'image/jpeg',
    })
    await jumio.uploadCredential({
      reference,
      kind: 'selfie',
      part: 'face',
      content: selfie,
      contentType: 'image/jpeg',
    })
    const submitted = await jumio.submitVerification({ reference })
    expect(submitted.id).toBe(verification.id)
    expect(['submitted', 'completed']).toContain(submitted.status)
    const read = await jumio.getVerification({ reference })
    expect(read.status).toBe('completed')
    expect(read.credentials.map((credential) => credential.kind)).toEqual(
      expect.arrayContaining(['id_document', 'selfie']),
    )
  })

  it('refuses an image below Jumio’s minimum resolution as an invalid request', async () => {
    const { jumio } = await setup()
    const { verification } = await jumio.createVerification({
      subjectReference: 'small-image',
      channel: 'api',
      country: 'DE',
    })
    await expect(
      jumio.uploadCredential({
        reference: verification.reference,
        kind: 'id_document',
        part: 'front',
        content: createJpeg({ width: 320, height: 200 }),
        contentType: 'image/jpeg',
      }),
    ).rejects.toMatchObject({ code: 'invalid_request', status: 400 })
  })

  it('starts a returning applicant’s next verification on the same Jumio account', async () => {
    const { jumio } = await setup()
    const first = await jumio.createVerification({ subjectReference: 'returning-user', country: 'DE' })
    const second = await jumio.createVerification({ subjectReference: 'returning-user', country: 'DE' })
    expect(second.verification.reference.accountId).toBe(first.verification.reference.accountId)
    expect(second.verification.id).not.toBe(first.verification.id)
    expect(second.verification.session?.url).toMatch(/^https?:\/\//)
  })

  // Fails on main before issue 12: parseWebhook slept 40 s + 60 s inside the webhook request.
  it('answers an early callback at once and delivers the decision from a background re-read on Jumio’s schedule', async () => {
    const { driver } = await setup()
    const slept: number[] = []
    const jumio = createJumio({
      clientId: jumioSimulatorClient.id,
      clientSecret: jumioSimulatorClient.secret,
      region: 'amer-1',
      userAgent: 'OpenKYC Tests/1.0',
      workflowKey: 32,
      fetch: driver.fetch,
      now: () => driver.now?.() ?? Date.now(),
      // Waiting moves the simulated Jumio's clock, so its results become ready.
      sleep: async (ms) => {
        slept.push(ms)
        await driver.advanceTime(ms)
      },
      transactionRateLimit: false,
      env: {},
    })
    driver.simulator.setEarlyCallbacks(90_000)
    const { verification } = await jumio.createVerification({
      subjectReference: 'early-callback',
      country: 'DE',
    })
    await driver.runScenario({ reference: verification.reference, scenario: scenarioById('clean_approve') })
    const [delivery] = await driver.webhookDeliveries({ reference: verification.reference })
    const background: WebhookOutcome[] = []
    const pipeline = createWebhookPipeline({
      adapter: jumio,
      onBackgroundOutcome: (outcome) => {
        background.push(outcome)
      },
    })
    const answered = await pipeline.handle(delivery!)
    expect(answered.events[0]?.event.type).toBe('verification.submitted')
    // A wait limit for a loaded machine, not a timing assertion.
    await vi.waitFor(() => expect(background).toHaveLength(1), { timeout: 15_000 })
    expect(slept).toEqual([40_000, 60_000])
    expect(background[0]?.events[0]).toMatchObject({
      changed: true,
      event: { type: 'verification.completed', verification: { decision: { outcome: 'approved' } } },
    })
    pipeline.close()
  })

  it('confirms the simulator’s callbacks against retrieval', async () => {
    const { driver, jumio } = await setup()
    const scenario = scenarioById('face_mismatch')
    const { verification } = await jumio.createVerification({
      subjectReference: 'callback-user',
      country: 'ES',
    })
    await driver.runScenario({ reference: verification.reference, scenario })
    const deliveries = await driver.webhookDeliveries({ reference: verification.reference })
    expect(deliveries.length).toBeGreaterThan(0)
    const events = (await Promise.all(deliveries.map((delivery) => jumio.parseWebhook(delivery)))).flat()
    expect(events.at(-1)).toMatchObject({
      type: 'verification.completed',
      verification: {
        id: verification.id,
        decision: { outcome: 'declined', reasons: [{ code: 'face_mismatch' }] },
      },
    })
  })
})
