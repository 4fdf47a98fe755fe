import { KycInvalidRequestError } from '@openkyc/core'
import { parse } from 'csv-parse'
import type { BulkEvidence, BulkItem } from './bulk.js'

const requestColumns = ['channel', 'redirect_url', 'locale', 'country', 'document_types'] as const
const prefillColumns = ['first_name', 'last_name', 'date_of_birth'] as const
/** Evidence columns: each names a source (a file path for the CLI) of one piece of API-channel evidence. */
const evidenceColumns = {
  document_front: { kind: 'id_document', part: 'front' },
  document_back: { kind: 'id_document', part: 'back' },
  selfie: { kind: 'selfie', part: 'face' },
} as const
const contentTypes: Record<string, BulkEvidence['contentType']> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  pdf: 'application/pdf',
}

/**
 * Reads bulk items from CSV (a string, bytes, or a Node stream such as `createReadStream`), one item
 * per row, streamed. Columns by header: `provider` and `subject_reference` (required);
 * optional `channel`, `redirect_url`, `locale`, `country`, `document_types` (`passport|id_card`),
 * `first_name`, `last_name`, `date_of_birth`; evidence sources `document_front`, `document_back`,
 * `selfie` (content type by extension: jpg, jpeg, png, pdf), which make the row an API-channel item
 * whose document type and country come from `document_types` (one type) and `country`. Empty cells are left out. Unknown columns are refused
 * (a typo would otherwise drop data silently); values are checked by `submit`, which names the row
 * and field of a bad value, never the value.
 *
 * @example
 * ```ts
 * const { batchId } = await bulk.submit(parseBulkCsv(createReadStream('subjects.csv')))
 * ```
 */
export async function* parseBulkCsv(
  input: string | Uint8Array | AsyncIterable<string | Uint8Array>,
): AsyncGenerator<BulkItem> {
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    max_record_size: 64 * 1024,
    columns: (header: string[]) => {
      const known = new Set<string>([
        'provider',
        'subject_reference',
        ...requestColumns,
        ...prefillColumns,
        ...Object.keys(evidenceColumns),
      ])
      const unknown = header.findIndex((column) => !known.has(column))
      if (unknown !== -1) {
        // The position, not the text: a header row can hold anything, personal data included.
        throw new KycInvalidRequestError({
          provider: 'jobs',
          message: `Bulk CSV: column ${unknown + 1} of the header is not a known column.`,
          issues: [],
        })
      }
      if (!header.includes('provider') || !header.includes('subject_reference')) {
        throw new KycInvalidRequestError({
          provider: 'jobs',
          message: 'Bulk CSV: the header needs the columns provider and subject_reference.',
          issues: [],
        })
      }
      return header
    },
  })
  const feed = async () => {
    try {
      if (typeof input === 'string' || input instanceof Uint8Array) {
        parser.write(input)
      } else {
        for await (const piece of input) {
          if (!parser.write(piece)) await new Promise((resolve) => parser.once('drain', resolve))
        }
      }
      parser.end()
    } catch (error) {
      parser.destroy(error as Error)
    }
  }
  const feeding = feed()
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    yield toItem(record)
  }
  await feeding
}

function toItem(record: Record<string, string>): BulkItem {
  const value = (column: string) =>
    record[column] === undefined || record[column] === '' ? undefined : record[column]
  const request: NonNullable<BulkItem['request']> = {}
  const channel = value('channel')
  if (channel !== undefined) request.channel = channel as 'hosted' | 'api'
  const redirectUrl = value('redirect_url')
  if (redirectUrl !== undefined) request.redirectUrl = redirectUrl
  const locale = value('locale')
  if (locale !== undefined) request.locale = locale
  const country = value('country')
  if (country !== undefined) request.country = country
  const documentTypes = value('document_types')
  if (documentTypes !== undefined) {
    request.documentTypes = documentTypes.split('|') as NonNullable<BulkItem['request']>['documentTypes']
  }
  const prefill: NonNullable<NonNullable<BulkItem['request']>['prefill']> = {}
  const firstName = value('first_name')
  if (firstName !== undefined) prefill.firstName = firstName
  const lastName = value('last_name')
  if (lastName !== undefined) prefill.lastName = lastName
  const dateOfBirth = value('date_of_birth')
  if (dateOfBirth !== undefined) prefill.dateOfBirth = dateOfBirth
  if (Object.keys(prefill).length > 0) request.prefill = prefill
  const evidence: BulkEvidence[] = []
  for (const [column, credential] of Object.entries(evidenceColumns)) {
    const source = value(column)
    if (source === undefined) continue
    const extension = /\.([a-z0-9]+)$/i.exec(source)?.[1]?.toLowerCase() ?? ''
    const isDocument = credential.kind === 'id_document'
    evidence.push({
      ...credential,
      ...(isDocument && request.documentTypes?.length === 1
        ? { documentType: request.documentTypes[0] }
        : {}),
      ...(isDocument && request.country !== undefined ? { country: request.country } : {}),
      // An unknown extension leaves the type out: `submit` names the row and field, never the path.
      contentType: contentTypes[extension] as BulkEvidence['contentType'],
      source,
    })
  }
  if (evidence.length > 0) {
    request.evidence = evidence
    request.channel ??= 'api'
  }
  return {
    provider: value('provider') ?? '',
    subjectReference: value('subject_reference') ?? '',
    ...(Object.keys(request).length > 0 ? { request } : {}),
  }
}
