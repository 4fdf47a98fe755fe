import { describe, expect, it } from 'vitest'
import { jpegBlob, startOnfido } from './onfido-test-server.js'

function documentForm(applicantId: string, fields: Record<string, string | Blob> = {}): FormData {
  const form = new FormData()
  form.set('file', jpegBlob(800, 520), 'front.jpg')
  form.set('type', 'passport')
  form.set('applicant_id', applicantId)
  for (const [name, value] of Object.entries(fields)) form.set(name, value)
  return form
}

describe('documents and live photos (multipart)', () => {
  it('uploads a document with the documented response shape, lists it and downloads the same bytes', async () => {
    const onfido = await startOnfido()
    const applicantId = await onfido.createApplicant()
    const reply = await onfido.call('POST', '/v3.6/documents', {
      form: documentForm(applicantId, { side: 'front', issuing_country: 'DEU' }),
    })
    expect(reply.status).toBe(201)
    const id = reply.body.id
    expect(reply.body).toMatchObject({
      href: `/v3.6/documents/${id}`,
      download_href: `/v3.6/documents/${id}/download`,
      file_name: 'front.jpg',
      file_type: 'jpg',
      type: 'passport',
      side: 'front',
      issuing_country: 'DEU',
      applicant_id: applicantId,
    })
    const list = await onfido.call('GET', `/v3.6/documents?applicant_id=${applicantId}`)
    expect(list.body.documents.map((document: { id: string }) => document.id)).toEqual([id])
    const download = await onfido.checkedFetch(`${onfido.server.url}/v3.6/documents/${id}/download`, {
      headers: { authorization: 'Token token=api_sandbox.openkyc-simulator-token' },
    })
    expect(download.headers.get('content-type')).toBe('image/jpeg')
    const bytes = new Uint8Array(await download.arrayBuffer())
    expect(bytes.byteLength).toBe(reply.body.file_size)
    expect(bytes.byteLength).toBe(jpegBlob(800, 520).size)
  })

  it('leaves side and issuing_country null when not given', async () => {
    const onfido = await startOnfido()
    const applicantId = await onfido.createApplicant()
    const reply = await onfido.call('POST', '/v3.6/documents', { form: documentForm(applicantId) })
    expect(reply.body).toMatchObject({ side: null, issuing_country: null })
  })

  it('rejects missing fields, unknown types, alpha-2 countries, non-images and too-small files with 422 validation_error', async () => {
    const onfido = await startOnfido()
    const applicantId = await onfido.createApplicant()
    const cases: [FormData, string[]][] = [
      [
        (() => {
          const form = documentForm(applicantId)
          form.delete('type')
          form.delete('applicant_id')
          return form
        })(),
        ['applicant_id', 'type'],
      ],
      [documentForm(applicantId, { type: 'library_card' }), ['type']],
      [documentForm(applicantId, { issuing_country: 'DE' }), ['issuing_country']],
      [documentForm(applicantId, { side: 'left' }), ['side']],
      [documentForm(applicantId, { file: new Blob(['not an image'], { type: 'image/jpeg' }) }), ['file']],
      [
        documentForm(applicantId, {
          file: new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])], { type: 'image/jpeg' }),
        }),
        ['file'],
      ],
    ]
    for (const [form, fields] of cases) {
      const reply = await onfido.call('POST', '/v3.6/documents', { form })
      expect(reply.status).toBe(422)
      expect(reply.body.error.type).toBe('validation_error')
      expect(Object.keys(reply.body.error.fields).sort()).toEqual(fields)
    }
    const json = await onfido.call('POST', '/v3.6/documents', { body: { applicant_id: applicantId } })
    expect(json.status).toBe(422)
  })

  it('answers 404 for an upload to an unknown applicant', async () => {
    const onfido = await startOnfido()
    const reply = await onfido.call('POST', '/v3.6/documents', {
      form: documentForm('6c0a4b1e-6a0f-4f43-9d5e-2f7b8c9d0e1f'),
    })
    expect(reply.status).toBe(404)
  })

  it('uploads a live photo; advanced validation rejects a photo without a face unless switched off', async () => {
    const onfido = await startOnfido()
    const applicantId = await onfido.createApplicant()
    const photo = (name: string, advanced?: string) => {
      const form = new FormData()
      form.set('file', jpegBlob(600, 800), name)
      form.set('applicant_id', applicantId)
      if (advanced !== undefined) form.set('advanced_validation', advanced)
      return form
    }
    const ok = await onfido.call('POST', '/v3.6/live_photos', { form: photo('selfie.jpg') })
    expect(ok.status).toBe(201)
    expect(ok.body).toMatchObject({
      file_name: 'selfie.jpg',
      file_type: 'jpg',
      href: `/v3.6/live_photos/${ok.body.id}`,
    })
    expect(ok.body).not.toHaveProperty('applicant_id')
    const noFace = await onfido.call('POST', '/v3.6/live_photos', { form: photo('no-face.jpg') })
    expect(noFace.status).toBe(422)
    expect(Object.keys(noFace.body.error.fields)).toEqual(['face_detection'])
    const unchecked = await onfido.call('POST', '/v3.6/live_photos', { form: photo('no-face.jpg', 'false') })
    expect(unchecked.status).toBe(201)
    const small = new FormData()
    small.set('file', jpegBlob(40, 40), 'tiny.jpg')
    small.set('applicant_id', applicantId)
    expect((await onfido.call('POST', '/v3.6/live_photos', { form: small })).status).toBe(422)
    const list = await onfido.call('GET', `/v3.6/live_photos?applicant_id=${applicantId}`)
    expect(list.body.live_photos).toHaveLength(2)
    expect((await onfido.call('GET', `/v3.6/live_photos/${ok.body.id}`)).status).toBe(200)
  })
})
