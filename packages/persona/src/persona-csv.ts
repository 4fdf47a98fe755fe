import { Readable } from 'node:stream'
import { KycInvalidRequestError } from '@openkyc/core'
import { CsvError, parse } from 'csv-parse'

/** CSV input as the import methods accept it: text, bytes, or a stream of either. */
export type CsvSource = string | Uint8Array | AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>

/** One chunk of a CSV split at row boundaries: the header row, then up to `maxRows` data rows. */
export type CsvChunk = {
  /** The chunk as CSV text, beginning with the header row. */
  csv: string
  /** Data rows in this chunk (the header not counted). */
  rows: number
  /** UTF-8 size of `csv`. */
  bytes: number
}

/** Limits for {@link chunkCsv}. */
export type ChunkCsvOptions = {
  /** Data rows per chunk at most. */
  maxRows: number
  /** UTF-8 bytes per chunk at most (header included); a single larger row still makes its own chunk. */
  maxBytes: number
  /** Called with the header's column names before any chunk is produced; throw to refuse the file. */
  checkHeader?: (columns: readonly string[]) => void
}

function toReadable(source: CsvSource): Readable {
  if (typeof source === 'string' || source instanceof Uint8Array) return Readable.from([source])
  if (typeof (source as ReadableStream<Uint8Array>).getReader === 'function') {
    return Readable.fromWeb(source as import('node:stream/web').ReadableStream<Uint8Array>)
  }
  return Readable.from(source as AsyncIterable<Uint8Array | string>)
}

const encoder = new TextEncoder()

/**
 * A record's raw text, ending in exactly the file's line terminator. csv-parse's `raw` may carry
 * blank lines (or the `\n` of a `\r\n`) in front and a partial or no terminator at the end; a row
 * never starts or ends with a line break of its own (a quoted field keeps its quotes around it).
 */
function normalizeRow(raw: string, terminator: string): string {
  return `${raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '')}${terminator}`
}

/**
 * Splits a CSV stream into chunks at row boundaries, each beginning with the header row, reading
 * the source only as fast as the chunks are consumed: memory stays bounded by one chunk plus the
 * parser's small buffer, whatever the file's size. Rows keep their original text (quoting
 * included), so each chunk is a valid CSV file on its own.
 *
 * Throws `KycInvalidRequestError` on malformed CSV, naming the line, never its content.
 *
 * @example
 * ```ts
 * for await (const chunk of chunkCsv(createReadStream('blocklist.csv'), { maxRows: 10_000, maxBytes: 1 << 20 })) {
 *   await upload(chunk.csv)
 * }
 * ```
 */
export async function* chunkCsv(source: CsvSource, options: ChunkCsvOptions): AsyncGenerator<CsvChunk> {
  const parser = toReadable(source).pipe(
    parse({ raw: true, bom: true, skip_empty_lines: true, relax_column_count: false }),
  )
  let header: string | undefined
  let terminator = '\n'
  let headerBytes = 0
  let rows: string[] = []
  let bytes = 0
  const flush = (): CsvChunk => {
    const chunk = { csv: header + rows.join(''), rows: rows.length, bytes }
    rows = []
    bytes = headerBytes
    return chunk
  }
  try {
    for await (const entry of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      if (header === undefined && /\r\n?$/.test(entry.raw)) terminator = '\r\n'
      const row = normalizeRow(entry.raw, terminator)
      if (header === undefined) {
        options.checkHeader?.(entry.record.map((column) => column.trim()))
        header = row
        headerBytes = encoder.encode(row).byteLength
        bytes = headerBytes
        continue
      }
      const rowBytes = encoder.encode(row).byteLength
      if (rows.length > 0 && (rows.length >= options.maxRows || bytes + rowBytes > options.maxBytes)) {
        yield flush()
      }
      rows.push(row)
      bytes += rowBytes
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const lines: unknown = (error as unknown as { lines?: unknown }).lines
      const line = typeof lines === 'number' ? lines : undefined
      // CsvError carries the offending record: never pass it on, not even as `cause`.
      throw new KycInvalidRequestError({
        provider: 'persona',
        message: `The CSV is malformed${line === undefined ? '' : ` near line ${line}`} (${error.code}).`,
        issues: [{ path: line === undefined ? [] : ['line', line], message: error.code, code: error.code }],
      })
    }
    throw error
  } finally {
    parser.destroy()
  }
  if (rows.length > 0) yield flush()
}
