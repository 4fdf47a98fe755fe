import { encodeBase64 } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { createImporterBodyWriter } from '../src/persona-importer-body.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** What the importer request sent before: `JSON.stringify` of the document, base64 by core. */
function stringified(listId: string, csv: Uint8Array, filename: string): string {
  return JSON.stringify({
    data: { attributes: { 'list-id': listId, file: { data: encodeBase64(csv), filename } } },
  })
}

describe('createImporterBodyWriter', () => {
  it('writes the same bytes as JSON.stringify with base64 for every length modulo 3, reusing its buffer', () => {
    const write = createImporterBodyWriter('lst_ABC123')
    const csv = encoder.encode('value\nblocked-1@example.test\nbücher-2@example.test\n"a,""b"""\n')
    // Longest first, so later (shorter) bodies are written over a longer one in the same buffer.
    for (let length = csv.length; length >= 0; length -= 1) {
      const chunk = csv.subarray(0, length)
      const filename = `openkyc-import-${length}.csv`
      expect(decoder.decode(write(chunk, filename))).toBe(stringified('lst_ABC123', chunk, filename))
    }
  })

  it('escapes the list id and the file name as JSON does', () => {
    const listId = 'lst_"quoted"\\\u0001'
    const write = createImporterBodyWriter(listId)
    const csv = encoder.encode('value\nx@example.test\n')
    const body = write(csv, 'name "1".csv')
    expect(decoder.decode(body)).toBe(stringified(listId, csv, 'name "1".csv'))
    expect(JSON.parse(decoder.decode(body)).data.attributes['list-id']).toBe(listId)
  })

  it('encodes every byte value', () => {
    const bytes = Uint8Array.from({ length: 256 * 3 }, (_, index) => (index * 7) % 256)
    const body = JSON.parse(decoder.decode(createImporterBodyWriter('lst_1')(bytes, 'f.csv')))
    expect(body.data.attributes.file.data).toBe(encodeBase64(bytes))
  })
})
