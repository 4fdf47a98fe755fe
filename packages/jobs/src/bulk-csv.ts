import { parse } from 'csv-parse'
import type { BulkItem } from './bulk.js'

const requestColumns = ['channel', 'redirect_url', 'locale', 'country', 'document_types'] as const
const prefillColumns = ['first_name', 'last_name', 'date_of_birth'] as const

/**
 * Reads bulk items from CSV (a string, bytes, or a Node stream such as `createReadStream`), one item
 * per row, streamed. Columns by header: `provider` and `subject_reference` (required);
 * optional `channel`, `redirect_url`, `locale`, `country`, `document_types` (`passport|id_card`),
 * `first_name`, `last_name`, `date_of_birth`. Empty cells are left out. Unknown columns are refused
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
      const known = new Set<string>(['provider', 'subject_reference', ...requestColumns, ...prefillColumns])
      const unknown = header.findIndex((column) => !known.has(column))
      if (unknown !== -1) {
        // The position, not the text: a header row can hold anything, personal data included.
        throw new TypeError(`Bulk CSV: column ${unknown + 1} of the header is not a known column.`)
      }
      if (!header.includes('provider') || !header.includes('subject_reference')) {
        throw new TypeError('Bulk CSV: the header needs the columns provider and subject_reference.')
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
  return {
    provider: value('provider') ?? '',
    subjectReference: value('subject_reference') ?? '',
    ...(Object.keys(request).length > 0 ? { request } : {}),
  }
}
