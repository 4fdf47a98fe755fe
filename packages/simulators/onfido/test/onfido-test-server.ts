import {
  createJpeg,
  createSimulatorClock,
  type SimulatorClock,
  type SimulatorServer,
} from '@openkyc/testkit/harness'
import { afterAll, afterEach, expect } from 'vitest'
import {
  createOnfidoSimulator,
  type OnfidoSimulator,
  type OnfidoSimulatorOptions,
  onfidoSimulatorApiToken,
} from '../src/index.js'
import {
  createOnfidoSchemaCheckingFetch,
  type OnfidoSchemaCheckingFetch,
  validateOnfidoWebhookBody,
} from '../src/openapi/index.js'

/**
 * The Onfido simulator on a real loopback port with a manual clock, and a client whose every exchange
 * is checked against Onfido's official OpenAPI spec. Each test file that uses it asserts, after every
 * test, that no response (and no webhook body) violated the spec, and that some were checked.
 */

// biome-ignore lint/suspicious/noExplicitAny: response bodies are walked freely in assertions
export type Json = any

/** A parsed reply. */
export type Reply = { status: number; body: Json; headers: Headers; text: string }

/** Options of one call. */
export type CallOptions = {
  body?: unknown
  form?: FormData
  token?: string | null
  headers?: Record<string, string>
}

/** A running simulator for one test. */
export type TestOnfido = {
  simulator: OnfidoSimulator
  server: SimulatorServer
  clock: SimulatorClock
  checkedFetch: OnfidoSchemaCheckingFetch
  call(method: string, path: string, options?: CallOptions): Promise<Reply>
  /** Creates an applicant (magic last name picks the scenario) and returns its id. */
  createApplicant(lastName?: string, extra?: Record<string, unknown>): Promise<string>
  /** Creates an applicant and a workflow run; returns both ids. */
  createRun(
    lastName?: string,
    extra?: Record<string, unknown>,
  ): Promise<{ applicantId: string; runId: string }>
  /** Uploads a document and a live photo for the applicant. */
  uploadEvidence(applicantId: string): Promise<{ documentId: string; livePhotoId: string }>
  close(): Promise<void>
}

export const workflowId = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'

const blobs = new Map<string, Blob>()

/** A JPEG of the given size as a multipart file part (made once per size: encoding is slow). */
export function jpegBlob(width: number, height: number): Blob {
  const key = `${width}x${height}`
  let blob = blobs.get(key)
  if (blob === undefined) {
    blob = new Blob([createJpeg({ width, height }).slice()], { type: 'image/jpeg' })
    blobs.set(key, blob)
  }
  return blob
}

const open: TestOnfido[] = []
let validatedResponses = 0
let validatedWebhooks = 0

afterEach(async () => {
  for (const test of open.splice(0)) {
    await test.simulator.deliveriesIdle()
    const webhookViolations = test.simulator.deliveries.flatMap((message) => {
      const result = validateOnfidoWebhookBody(JSON.parse(message.rawBody))
      return result.valid ? [] : [{ webhook: message.id, errors: result.errors }]
    })
    validatedWebhooks += test.simulator.deliveries.length
    validatedResponses += test.checkedFetch.checkedResponses()
    await test.close()
    // Requests are the tests' own (some are invalid on purpose); responses are the simulator's.
    const responseViolations = test.checkedFetch.violations.filter(
      (violation) => violation.direction === 'response',
    )
    expect(responseViolations, 'responses that violate the official spec').toEqual([])
    expect(webhookViolations, 'webhook bodies that violate the official spec').toEqual([])
    expect(test.simulator.handlerErrors, 'simulator errors').toEqual([])
  }
})

afterAll(() => {
  if (process.env.ONFIDO_FIDELITY_REPORT) {
    console.info(
      `onfido fidelity: ${validatedResponses} responses and ${validatedWebhooks} webhooks validated`,
    )
  }
})

/** Starts an Onfido simulator on 127.0.0.1, port 0. */
export async function startOnfido(options: OnfidoSimulatorOptions = {}): Promise<TestOnfido> {
  const clock = options.clock ?? createSimulatorClock({ start: '2030-01-01T00:00:00.000Z' })
  const simulator = createOnfidoSimulator({ ...options, clock })
  const server = await simulator.listen()
  const checkedFetch = createOnfidoSchemaCheckingFetch(fetch, {
    // The hosted flow and the OAuth token endpoint are not operations of the spec's `paths`.
    skip: (_method, path) => path.startsWith('/l/') || path === '/v3.6/oauth/token',
  })

  const call: TestOnfido['call'] = async (method, path, callOptions = {}) => {
    const headers = new Headers(callOptions.headers)
    const token = callOptions.token === undefined ? onfidoSimulatorApiToken : callOptions.token
    if (token !== null && !headers.has('authorization')) headers.set('authorization', `Token token=${token}`)
    let body: BodyInit | undefined
    if (callOptions.form !== undefined) body = callOptions.form
    else if (callOptions.body !== undefined) {
      headers.set('content-type', 'application/json')
      body = JSON.stringify(callOptions.body)
    }
    const response = await checkedFetch(`${server.url}${path}`, { method, headers, body, redirect: 'manual' })
    const text = await response.text()
    let parsed: Json
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = text
    }
    return { status: response.status, body: parsed, headers: response.headers, text }
  }

  const createApplicant: TestOnfido['createApplicant'] = async (
    lastName = 'Testperson-Approve',
    extra = {},
  ) => {
    const reply = await call('POST', '/v3.6/applicants', {
      body: { first_name: 'Quillonda', last_name: lastName, ...extra },
    })
    expect(reply.status).toBe(201)
    return reply.body.id as string
  }

  const test: TestOnfido = {
    simulator,
    server,
    clock,
    checkedFetch,
    call,
    createApplicant,
    async createRun(lastName, extra = {}) {
      const applicantId = await createApplicant(lastName)
      const reply = await call('POST', '/v3.6/workflow_runs', {
        body: { workflow_id: workflowId, applicant_id: applicantId, ...extra },
      })
      expect(reply.status).toBe(201)
      return { applicantId, runId: reply.body.id as string }
    },
    async uploadEvidence(applicantId) {
      const documentForm = new FormData()
      documentForm.set('file', jpegBlob(800, 520), 'front.jpg')
      documentForm.set('type', 'passport')
      documentForm.set('applicant_id', applicantId)
      const document = await call('POST', '/v3.6/documents', { form: documentForm })
      expect(document.status).toBe(201)
      const photoForm = new FormData()
      photoForm.set('file', jpegBlob(600, 800), 'selfie.jpg')
      photoForm.set('applicant_id', applicantId)
      const photo = await call('POST', '/v3.6/live_photos', { form: photoForm })
      expect(photo.status).toBe(201)
      return { documentId: document.body.id, livePhotoId: photo.body.id }
    },
    async close() {
      simulator.shutdown()
      await server.close()
    },
  }
  open.push(test)
  return test
}
