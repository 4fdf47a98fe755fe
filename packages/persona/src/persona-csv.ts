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

/**
 * A record's raw text, ending in exactly the file's line terminator. csv-parse's `raw` may carry
 * blank lines (or the `\n` of a `\r\n`) in front and a partial or no terminator at the end; a row
 * never starts or ends with a line break of its own (a quoted field keeps its quotes around it).
 */
function normalizeRow(raw: string, terminator: string): string {
  return `${raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '')}${terminator}`
}

/**
 * A chunk as bytes, for uploading: `data` is a view of a buffer the splitter reuses, valid only
 * until the next chunk is asked for (copy it, as `new Blob([data])` does, to keep it longer).
 */
export type CsvByteChunk = {
  /** The chunk's UTF-8 bytes, beginning with the header row. Reused: valid until the next chunk. */
  data: Uint8Array
  /** Data rows in this chunk (the header not counted). */
  rows: number
  /** `data.byteLength`. */
  bytes: number
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
  for await (const chunk of chunkCsvBytes(source, options)) {
    yield {
      csv: Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.bytes).toString('utf8'),
      rows: chunk.rows,
      bytes: chunk.bytes,
    }
  }
}

/**
 * {@link chunkCsv} as bytes, for uploads. Each row is written straight into one staging buffer
 * that is reused from chunk to chunk, so a chunk's rows never pile up on the JavaScript heap (where
 * ten thousand row strings would outlive the young generation and bloat the old one): the heap
 * sees only short-lived garbage, and the chunk exists once, off-heap, until the uploader copies it.
 *
 * @example
 * ```ts
 * for await (const chunk of chunkCsvBytes(stream, { maxRows: 10_000, maxBytes: 1 << 20 })) {
 *   await upload(new Blob([chunk.data]))
 * }
 * ```
 */
export async function* chunkCsvBytes(
  source: CsvSource,
  options: ChunkCsvOptions,
): AsyncGenerator<CsvByteChunk> {
  const parser = toReadable(source).pipe(
    parse({ raw: true, bom: true, skip_empty_lines: true, relax_column_count: false }),
  )
  let header = false
  let terminator = '\n'
  let headerBytes = 0
  let staging = Buffer.allocUnsafeSlow(Math.min(Math.max(options.maxBytes, 1024), 64 * 1024))
  let used = 0
  let rows = 0
  const reserve = (bytes: number) => {
    if (used + bytes <= staging.byteLength) return
    const grown = Buffer.allocUnsafeSlow(Math.max(staging.byteLength * 2, used + bytes))
    staging.copy(grown, 0, 0, used)
    staging = grown
  }
  const flush = (): CsvByteChunk => {
    const chunk = { data: staging.subarray(0, used), rows, bytes: used }
    used = headerBytes
    rows = 0
    return chunk
  }
  try {
    for await (const entry of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      if (!header && /\r\n?$/.test(entry.raw)) terminator = '\r\n'
      const row = normalizeRow(entry.raw, terminator)
      // Counted, not encoded: an encoded copy of every row is garbage a million times over.
      const rowBytes = Buffer.byteLength(row, 'utf8')
      if (!header) {
        options.checkHeader?.(entry.record.map((column) => column.trim()))
        header = true
        reserve(rowBytes)
        used += staging.write(row, used, 'utf8')
        headerBytes = used
        continue
      }
      if (rows > 0 && (rows >= options.maxRows || used + rowBytes > options.maxBytes)) {
        yield flush()
      }
      reserve(rowBytes)
      used += staging.write(row, used, 'utf8')
      rows += 1
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
  if (rows > 0) yield flush()
}
