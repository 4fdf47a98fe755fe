import { jumioSimulatorClient } from '@openkyc/simulator-jumio'
import ky from 'ky'
import {
  type JumioEvidence,
  jumioBenchConsent,
  jumioBenchWorkflowKey,
  personaTestCredentials,
} from './providers.js'

/**
 * Hand-written minimal clients: the same requests the adapters send, with the same headers and
 * bodies, and nothing else (no validation, no retries, no mapping). They are the baseline the
 * adapter-overhead benchmark divides by, so the ratio is the price of everything the adapter adds.
 */

const userAgent = 'OpenKYC Bench/1.0'

/**
 * The same requests sent with bare `ky` (the transport `@openkyc/core/http` is built on), with its
 * defaults (timeout, retry policy, no hooks) and the simulator's `fetch`: a `fetch`-shaped function
 * the hand-written clients below can send through, so the ky baseline and the fetch baseline send
 * byte-identical requests.
 *
 * @example
 * ```ts
 * await runPersonaFlowByHand(sendWithKy(simulator.fetch), personaSimulatorApi, 'subject-1')
 * ```
 */
export function sendWithKy(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
  const client = ky.create({ fetch })
  return (input, init) => client(input instanceof Request ? input : String(input), init)
}

async function json(response: Response): Promise<unknown> {
  if (!response.ok) throw new Error(`baseline request failed with HTTP ${response.status}`)
  return response.json()
}

/** The Jumio hosts of the simulator in process. */
export type JumioHosts = { auth: string; account: string; retrieval: string }

type JumioPart = {
  category?: string
  api?: { token?: string; parts?: Record<string, string>; workflowExecution?: string }
}
type JumioAccountBody = {
  account: { id: string }
  workflowExecution: { id: string; credentials?: JumioPart[] }
}

/**
 * One API-channel Jumio verification by hand: token, account with a workflow execution, document
 * front and selfie uploads, finalize, retrieval of the details.
 */
export async function runJumioFlowByHand(
  fetch: typeof globalThis.fetch,
  hosts: JumioHosts,
  evidence: JumioEvidence,
  subjectReference: string,
): Promise<unknown> {
  const basic = Buffer.from(`${jumioSimulatorClient.id}:${jumioSimulatorClient.secret}`).toString('base64')
  const token = (await json(
    await fetch(`${hosts.auth}/oauth2/token`, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
        'user-agent': userAgent,
      },
      body: 'grant_type=client_credentials',
    }),
  )) as { access_token: string }
  const created = (await json(
    await fetch(`${hosts.account}/api/v1/accounts`, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${token.access_token}`,
        'content-type': 'application/json',
        'user-agent': userAgent,
      },
      body: JSON.stringify({
        customerInternalReference: crypto.randomUUID(),
        workflowDefinition: { key: jumioBenchWorkflowKey },
        userReference: subjectReference,
        userConsent: { ...jumioBenchConsent, userLocation: { country: 'DEU' } },
      }),
    }),
  )) as JumioAccountBody
  const credentials = created.workflowExecution.credentials ?? []
  const document = credentials.find((credential) => credential.category === 'ID')
  const face = credentials.find((credential) => credential.category === 'SELFIE')
  let transactionToken = document?.api?.token ?? ''
  const upload = async (url: string | undefined, bytes: Uint8Array, name: string) => {
    const form = new FormData()
    form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), name)
    const answer = (await json(
      await fetch(url ?? '', {
        method: 'POST',
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${transactionToken}`,
          'user-agent': userAgent,
        },
        body: form,
      }),
    )) as { api?: { token?: string } } | null
    transactionToken = answer?.api?.token ?? transactionToken
  }
  await upload(document?.api?.parts?.front, evidence.front, 'front.jpg')
  await upload(face?.api?.parts?.face, evidence.selfie, 'face.jpg')
  const finalized = await fetch(document?.api?.workflowExecution ?? '', {
    method: 'PUT',
    headers: { authorization: `Bearer ${transactionToken}`, 'user-agent': userAgent },
  })
  if (!finalized.ok) throw new Error(`baseline finalize failed with HTTP ${finalized.status}`)
  await finalized.body?.cancel()
  return json(
    await fetch(
      `${hosts.retrieval}/api/v1/accounts/${created.account.id}/workflow-executions/${created.workflowExecution.id}`,
      {
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${token.access_token}`,
          'user-agent': userAgent,
        },
      },
    ),
  )
}

/**
 * One Persona sandbox verification by hand: create the inquiry, read it, run the simulate actions
 * to `approved`, read it back, and read it once more as `getVerification` does.
 */
export async function runPersonaFlowByHand(
  fetch: typeof globalThis.fetch,
  apiBase: string,
  subjectReference: string,
): Promise<unknown> {
  const headers = {
    accept: 'application/json',
    authorization: `Bearer ${personaTestCredentials.apiKey}`,
    'key-inflection': 'kebab',
    'persona-version': '2023-01-05',
  }
  const post = (url: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify(body),
    })
  const include = 'include=verifications%2Creports%2Caccount'
  const created = (await json(
    await post(`${apiBase}/inquiries`, {
      data: { attributes: { 'inquiry-template-id': personaTestCredentials.templateId } },
      meta: { 'auto-create-account-reference-id': subjectReference },
    }),
  )) as { data: { id: string } }
  const inquiryUrl = `${apiBase}/inquiries/${created.data.id}`
  await json(await fetch(`${inquiryUrl}?${include}`, { headers }))
  await json(
    await post(`${inquiryUrl}/perform-simulate-actions?${include}`, {
      meta: {
        'simulate-actions': [
          { type: 'start_inquiry' },
          { type: 'complete_inquiry' },
          { type: 'approve_inquiry' },
        ],
      },
    }),
  )
  await json(await fetch(`${inquiryUrl}?${include}`, { headers }))
  return json(await fetch(`${inquiryUrl}?${include}`, { headers }))
}
