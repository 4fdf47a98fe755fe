import { createPng } from '@openkyc/testkit/harness'
import { afterEach, describe, expect, it } from 'vitest'
import { createJumioEvidenceImage } from '../src/index.js'
import {
  accountRequest,
  documentImage,
  fileForm,
  type JumioTestServer,
  selfieImage,
  startJumio,
  uploadPart,
} from './jumio-test-server.js'

let test: JumioTestServer
afterEach(async () => {
  await test?.close()
})

async function created(key = 10011, extra: Record<string, unknown> = {}) {
  const { status, body } = await test.initiate(accountRequest(key, test.jumio.clock.now(), extra))
  expect(status).toBe(200)
  const byCategory = (category: string) =>
    body.workflowExecution.credentials.find((item) => item.category === category)!
  return { body, id: byCategory('ID'), selfie: byCategory('SELFIE'), byCategory }
}

type Problem = { title: string; status: number; detail: string }

describe('credential upload: accepted images', () => {
  it('accepts a JPEG document front and answers with the documented body', async () => {
    test = await startJumio()
    const { body, id } = await created()
    const response = await uploadPart(test, id.api!.parts.front!, id.api!.token, documentImage())
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      timestamp: expect.stringMatching(/Z$/),
      account: { id: body.account.id },
      workflowExecution: { id: body.workflowExecution.id },
      api: { token: id.api!.token, parts: id.api!.parts, workflowExecution: id.api!.workflowExecution },
    })
  })

  it('accepts a PNG selfie, a landscape selfie and the smallest documented sizes', async () => {
    test = await startJumio()
    const { id, selfie } = await created()
    const cases: [string, Uint8Array][] = [
      [selfie.api!.parts.face!, createJumioEvidenceImage({ format: 'png', width: 480, height: 640 })],
      [selfie.api!.parts.face!, createJumioEvidenceImage({ width: 640, height: 480 })],
      [id.api!.parts.front!, createJumioEvidenceImage({ width: 563, height: 355 })],
      [id.api!.parts.back!, createJumioEvidenceImage({ format: 'png', width: 355, height: 563 })],
    ]
    for (const [url, bytes] of cases) {
      expect((await uploadPart(test, url, id.api!.token, bytes)).status).toBe(200)
    }
  })

  it('keeps the bytes: retrieval returns the uploaded part with its content type', async () => {
    test = await startJumio()
    const { body, id } = await created()
    const bytes = createJumioEvidenceImage({ format: 'png', width: 600, height: 400, text: 'kept' })
    await uploadPart(test, id.api!.parts.front!, id.api!.token, bytes)
    const part = await test.call(
      'GET',
      `/api/v1/accounts/${body.account.id}/credentials/${id.id}/parts/FRONT`,
    )
    expect(part.status).toBe(200)
    expect(part.headers.get('content-type')).toBe('image/png')
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes)
  })

  it('replaces a part with PUT on the same path', async () => {
    test = await startJumio()
    const { body, id } = await created()
    await uploadPart(test, id.api!.parts.front!, id.api!.token, documentImage('first'))
    const replacement = createJumioEvidenceImage({ format: 'png', width: 640, height: 400 })
    const put = await test.call('PUT', id.api!.parts.front!, {
      token: id.api!.token,
      body: fileForm(replacement),
    })
    expect(put.status).toBe(200)
    const part = await test.call(
      'GET',
      `/api/v1/accounts/${body.account.id}/credentials/${id.id}/parts/FRONT`,
    )
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(replacement)
  })
})

describe('credential upload: rejected images (400)', () => {
  const rejected: { name: string; bytes: () => Uint8Array; part: 'front' | 'face'; detail: RegExp }[] = [
    {
      name: 'a document narrower than 563 px',
      bytes: () => createJumioEvidenceImage({ width: 562, height: 355 }),
      part: 'front',
      detail: /at least 563×355/,
    },
    {
      name: 'a document lower than 355 px',
      bytes: () => createJumioEvidenceImage({ width: 640, height: 354 }),
      part: 'front',
      detail: /at least 563×355/,
    },
    {
      name: 'a selfie smaller than 480×640',
      bytes: () => createJumioEvidenceImage({ width: 479, height: 640 }),
      part: 'face',
      detail: /at least 480×640/,
    },
    {
      name: 'an image wider than 8000 px',
      bytes: () => createPng({ width: 8001, height: 400, fill: [0, 0, 0] }),
      part: 'front',
      detail: /at most 8000×8000/,
    },
    {
      name: 'an image higher than 8000 px',
      bytes: () => createPng({ width: 600, height: 8001, fill: [0, 0, 0] }),
      part: 'front',
      detail: /at most 8000×8000/,
    },
    {
      name: 'a GIF',
      bytes: () => new Uint8Array(Buffer.from('R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=', 'base64')),
      part: 'front',
      detail: /JPEG or PNG/,
    },
    {
      name: 'a PDF',
      bytes: () => new TextEncoder().encode('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF'),
      part: 'front',
      detail: /JPEG or PNG/,
    },
    { name: 'an empty file', bytes: () => new Uint8Array(0), part: 'front', detail: /empty/ },
  ]

  it.each(rejected)('$name', async ({ bytes, part, detail }) => {
    test = await startJumio()
    const { id, selfie } = await created()
    const url = part === 'front' ? id.api!.parts.front! : selfie.api!.parts.face!
    const response = await uploadPart(test, url, id.api!.token, bytes())
    expect(response.status).toBe(400)
    expect(((await response.json()) as Problem).detail).toMatch(detail)
  })

  it('a file over the 15 MB limit', async () => {
    test = await startJumio()
    const { id } = await created()
    const huge = new Uint8Array(15 * 1024 * 1024 + 1)
    huge.set(documentImage())
    const response = await uploadPart(test, id.api!.parts.front!, id.api!.token, huge)
    expect(response.status).toBe(400)
    expect(((await response.json()) as Problem).detail).toMatch(/at most 15 MB/)
  })

  it('a file over a configured smaller limit (older guides said 5 or 10 MB)', async () => {
    test = await startJumio({ uploadLimits: { maxBytes: 2000 } })
    const { id } = await created()
    const image = createJumioEvidenceImage({
      format: 'png',
      width: 640,
      height: 400,
      fill: [1, 2, 3],
      text: 'x'.repeat(3000),
    })
    expect((await uploadPart(test, id.api!.parts.front!, id.api!.token, image)).status).toBe(400)
  })

  it('a multipart body without the field "file", and a body that is not multipart', async () => {
    test = await startJumio()
    const { id } = await created()
    const form = new FormData()
    form.set('image', new Blob([new Uint8Array(documentImage())], { type: 'image/jpeg' }), 'front.jpg')
    const wrongField = await test.call('POST', id.api!.parts.front!, { token: id.api!.token, body: form })
    expect(wrongField.status).toBe(400)
    expect(((await wrongField.json()) as Problem).detail).toMatch(/file/)
    const raw = await test.call('POST', id.api!.parts.front!, {
      token: id.api!.token,
      body: new Uint8Array(documentImage()),
      headers: { 'content-type': 'image/jpeg' },
    })
    expect(raw.status).toBe(400)
  })

  it('a classifier the credential does not have', async () => {
    test = await startJumio()
    const { id } = await created()
    for (const classifier of ['FACE', 'SIDE']) {
      const url = id.api!.parts.front!.replace(/FRONT$/, classifier)
      expect((await uploadPart(test, url, id.api!.token, documentImage())).status).toBe(400)
    }
  })

  it('biometric evidence for an execution created without userConsent', async () => {
    test = await startJumio()
    const { userConsent: _omitted, ...request } = accountRequest(10011, test.jumio.clock.now())
    const { body } = await test.initiate(request)
    const selfie = body.workflowExecution.credentials.find((credential) => credential.category === 'SELFIE')!
    const response = await uploadPart(test, selfie.api!.parts.face!, selfie.api!.token, selfieImage())
    expect(response.status).toBe(400)
    expect(((await response.json()) as Problem).detail).toMatch(/userConsent/)
  })
})

describe('credential upload: authorisation and addressing', () => {
  it('needs the transaction token: none or the OAuth token → 401, another execution’s → 403', async () => {
    test = await startJumio()
    const first = await created()
    const second = await created()
    const url = first.id.api!.parts.front!
    expect((await test.call('POST', url, { token: null, body: fileForm(documentImage()) })).status).toBe(401)
    expect((await test.call('POST', url, { body: fileForm(documentImage()) })).status).toBe(401)
    expect((await uploadPart(test, url, second.id.api!.token, documentImage())).status).toBe(403)
  })

  it('answers 404 for an unknown credential or execution', async () => {
    test = await startJumio()
    const { id, body } = await created()
    const unknown = '0b5f3c3e-9f55-4a36-9d8b-3f7c2d1e0a99'
    const credentialUrl = id.api!.parts.front!.replace(id.id, unknown)
    expect((await uploadPart(test, credentialUrl, id.api!.token, documentImage())).status).toBe(404)
    const executionUrl = id.api!.parts.front!.replace(body.workflowExecution.id, unknown)
    expect((await uploadPart(test, executionUrl, id.api!.token, documentImage())).status).toBe(404)
  })

  it('answers 403 for a FACEMAP that only the web client or SDK may capture', async () => {
    test = await startJumio()
    const { body, byCategory } = await created()
    const facemap = byCategory('FACEMAP')
    const url = `${body.workflowExecution.credentials[0]!.api!.workflowExecution}/credentials/${facemap.id}/parts/FACEMAP`
    const response = await uploadPart(test, url, body.sdk!.token, new Uint8Array([1, 2, 3]))
    expect(response.status).toBe(403)
  })

  it('accepts a binary FACEMAP for workflow 16 (authentication on premise)', async () => {
    test = await startJumio()
    const { body: first } = await test.initiate(accountRequest(3, test.jumio.clock.now()))
    await test.jumio.resolve(first.workflowExecution.id, 'clean_approve')
    const { body } = await test.initiate(accountRequest(16, test.jumio.clock.now()), first.account.id)
    const facemap = body.workflowExecution.credentials[0]!
    const form = fileForm(new Uint8Array([0, 1, 2, 3, 4, 5]), 'facemap.bin', 'application/octet-stream')
    const response = await test.call('POST', facemap.api!.parts.facemap!, {
      token: facemap.api!.token,
      body: form,
    })
    expect(response.status).toBe(200)
  })
})

describe('prepared data', () => {
  async function dataCredential() {
    const { body } = await test.initiate(accountRequest(10010, test.jumio.clock.now()))
    return body.workflowExecution.credentials[0]!
  }

  it('accepts a JSON body and answers with empty parts, as real payloads show', async () => {
    test = await startJumio()
    const data = await dataCredential()
    const response = await test.call('POST', data.api!.parts.prepared_data!, {
      token: data.api!.token,
      json: {
        firstName: 'Quillonda',
        lastName: 'Testperson-Approve',
        dateOfBirth: '1986-03-14',
        address: { country: 'USA' },
      },
    })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { api: { parts: object } }).api.parts).toEqual({})
  })

  it('rejects a malformed date, a non-JSON body and another content type', async () => {
    test = await startJumio()
    const data = await dataCredential()
    const url = data.api!.parts.prepared_data!
    const badDate = await test.call('POST', url, {
      token: data.api!.token,
      json: { dateOfBirth: '14.03.1986' },
    })
    expect(badDate.status).toBe(400)
    expect(((await badDate.json()) as Problem).detail).toBe('dateOfBirth: must be YYYY-MM-DD')
    const notJson = await test.call('POST', url, {
      token: data.api!.token,
      body: '{"firstName":',
      headers: { 'content-type': 'application/json' },
    })
    expect(notJson.status).toBe(400)
    const multipart = await test.call('POST', url, {
      token: data.api!.token,
      body: fileForm(documentImage()),
    })
    expect(multipart.status).toBe(400)
  })
})

describe('after finalize', () => {
  it('rejects further uploads with 400 and answers a repeated finalize with the same 200', async () => {
    test = await startJumio()
    const { body, id } = await created(2, { userConsent: undefined })
    await uploadPart(test, id.api!.parts.front!, id.api!.token, documentImage())
    const finalize = await test.call('PUT', id.api!.workflowExecution, { token: id.api!.token })
    expect(finalize.status).toBe(200)
    const again = await test.call('PUT', id.api!.workflowExecution, { token: id.api!.token })
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ workflowExecution: { id: body.workflowExecution.id } })
    const late = await uploadPart(test, id.api!.parts.back!, id.api!.token, documentImage())
    expect(late.status).toBe(400)
    expect(
      test.jumio.callbacks.filter((message) => message.subject === body.workflowExecution.id),
    ).toHaveLength(1)
  })
})
