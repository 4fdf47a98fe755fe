import { describe, expect, it } from 'vitest'
import { createOnfidoApplicantMemory } from '../src/onfido-applicant-memory.js'
import { encodeOnfidoMultipart } from '../src/onfido-multipart.js'

describe('encodeOnfidoMultipart', () => {
  it('builds a body that the platform parses back into the same fields and file bytes', async () => {
    // Bytes that look like multipart syntax must survive untouched.
    const content = new Uint8Array([0xff, 0xd8, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0x22, 0x0d, 0x0a, 0xff, 0xd9])
    const { chunks, contentType } = encodeOnfidoMultipart(
      [
        ['applicant_id', '0c4b2f6e-2f5c-4a8e-9d0a-6f1b2c3d4e5f'],
        ['type', 'passport'],
      ],
      { name: 'file', file: { content, contentType: 'image/jpeg', fileName: 'front "1".jpg' } },
    )
    expect(contentType).toMatch(/^multipart\/form-data; boundary=-+openkyc[0-9a-f]{32}$/)
    const form = await new Response(new Blob([...chunks]), {
      headers: { 'content-type': contentType },
    }).formData()
    expect(form.get('applicant_id')).toBe('0c4b2f6e-2f5c-4a8e-9d0a-6f1b2c3d4e5f')
    expect(form.get('type')).toBe('passport')
    const file = form.get('file') as File
    expect(file.type).toBe('image/jpeg')
    expect(file.name).toBe('front "1".jpg')
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(content)
  })

  it("holds the file as a view of the caller's bytes, not a copy", () => {
    const buffer = new ArrayBuffer(16)
    const content = new Uint8Array(buffer, 4, 8).fill(7)
    const { chunks } = encodeOnfidoMultipart([], {
      name: 'file',
      file: { content, contentType: 'image/png', fileName: 'a.png' },
    })
    expect(chunks).toHaveLength(3)
    expect(chunks[1]!.buffer).toBe(buffer)
    expect([chunks[1]!.byteOffset, chunks[1]!.byteLength]).toEqual([4, 8])
  })

  it('uses a fresh boundary for every body', () => {
    const file = { content: new Uint8Array([1]), contentType: 'image/png', fileName: 'a.png' }
    const first = encodeOnfidoMultipart([], { name: 'file', file })
    const second = encodeOnfidoMultipart([], { name: 'file', file })
    expect(first.contentType).not.toBe(second.contentType)
  })
})

describe('createOnfidoApplicantMemory', () => {
  it('lets only the first check of a remembered applicant skip the lookup, and forgets after its lifetime', async () => {
    let time = 0
    const memory = createOnfidoApplicantMemory({ now: () => time, ttlMs: 1000 })
    const created = async () => 'created'
    expect(memory.firstCheck('unknown', created)).toBeUndefined()
    memory.remember('a', '2026-01-01T00:00:00Z')
    memory.remember('b', null)
    expect(memory.createdAt('a')).toBe('2026-01-01T00:00:00Z')
    expect(memory.createdAt('b')).toBeNull()
    expect(await memory.firstCheck('a', created)).toBe('created')
    expect(memory.firstCheck('a', created)).toBeUndefined()
    time = 1000
    expect(memory.firstCheck('b', created)).toBeUndefined()
    expect(memory.createdAt('b')).toBeUndefined()
  })

  it('holds at most maxEntries applicants, dropping the oldest', () => {
    const memory = createOnfidoApplicantMemory({ now: () => 0, maxEntries: 2 })
    for (const id of ['a', 'b', 'c']) memory.remember(id, null)
    expect(memory.createdAt('a')).toBeUndefined()
    expect(memory.createdAt('c')).toBeNull()
  })

  it('settles after a failed check creation, and a failed first check still counts as requested', async () => {
    const memory = createOnfidoApplicantMemory({ now: () => 0 })
    memory.remember('a', null)
    const failed = memory.firstCheck('a', async () => {
      throw new Error('lost')
    })
    await expect(failed).rejects.toThrow('lost')
    await expect(memory.settled('a')).resolves.toBeUndefined()
    expect(memory.firstCheck('a', async () => 'again')).toBeUndefined()
  })
})
