import { describe, expect, it } from 'vitest'
import { parseBulkCsv } from '../src/index.js'

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = []
  for await (const item of items) result.push(item)
  return result
}

describe('parseBulkCsv', () => {
  it('reads items by header, leaving empty cells out, from a string or a stream of chunks', async () => {
    const csv = [
      'provider,subject_reference,country,document_types,first_name,last_name,date_of_birth',
      'persona,user-1,DE,passport|id_card,Ada,Lovelace,1815-12-10',
      'jumio,user-2,,,,,',
    ].join('\r\n')
    const expected = [
      {
        provider: 'persona',
        subjectReference: 'user-1',
        request: {
          country: 'DE',
          documentTypes: ['passport', 'id_card'],
          prefill: { firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1815-12-10' },
        },
      },
      { provider: 'jumio', subjectReference: 'user-2' },
    ]
    expect(await collect(parseBulkCsv(csv))).toEqual(expected)
    async function* chunks() {
      for (let index = 0; index < csv.length; index += 7)
        yield new TextEncoder().encode(csv.slice(index, index + 7))
    }
    expect(await collect(parseBulkCsv(chunks()))).toEqual(expected)
  })

  it('refuses an unknown column by position (a header can hold anything) and a header without the required ones', async () => {
    await expect(collect(parseBulkCsv('provider,subject_reference,Jane Doe\npersona,u,x\n'))).rejects.toThrow(
      'Bulk CSV: column 3 of the header is not a known column.',
    )
    await expect(collect(parseBulkCsv('provider,first_name\npersona,Ada\n'))).rejects.toThrow(
      'the header needs the columns provider and subject_reference',
    )
  })

  it('makes rows with evidence columns API-channel items, typed by extension, with the row’s document type and country', async () => {
    const csv = [
      'provider,subject_reference,country,document_types,first_name,last_name,document_front,document_back,selfie',
      'onfido,user-1,GB,passport,Ada,Lovelace,evidence/front.JPG,,evidence/face.png',
      'onfido,user-2,,,Ada,Byron,scan.tiff,,',
    ].join('\n')
    const [withEvidence, unknownType] = await collect(parseBulkCsv(csv))
    expect(withEvidence).toEqual({
      provider: 'onfido',
      subjectReference: 'user-1',
      request: {
        channel: 'api',
        country: 'GB',
        documentTypes: ['passport'],
        prefill: { firstName: 'Ada', lastName: 'Lovelace' },
        evidence: [
          {
            kind: 'id_document',
            part: 'front',
            documentType: 'passport',
            country: 'GB',
            contentType: 'image/jpeg',
            source: 'evidence/front.JPG',
          },
          { kind: 'selfie', part: 'face', contentType: 'image/png', source: 'evidence/face.png' },
        ],
      },
    })
    // An unknown extension: no content type, which submit refuses by row and field.
    expect(unknownType?.request?.evidence?.[0]?.contentType).toBeUndefined()
  })
})
