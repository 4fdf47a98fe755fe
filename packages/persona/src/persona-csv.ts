import { KycInvalidRequestError } from '@openkyc/core'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

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
      csv: decoder.decode(chunk.data),
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
  let headerBytes = -1
  let terminator = '\n'
  let staging = new Uint8Array(Math.min(Math.max(options.maxBytes, 1024), 64 * 1024))
  let used = 0
  let rows = 0
  /** Writes `text` at `used` (growing the staging buffer when it might not fit); returns its size. */
  const write = (text: string): number => {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (used + text.length * 3 > staging.byteLength) {
      const grown = new Uint8Array(Math.max(staging.byteLength * 2, used + text.length * 3))
      grown.set(staging.subarray(0, used))
      staging = grown
    }
    return encoder.encodeInto(text, staging.subarray(used)).written
  }
  for await (const row of csvRows(source)) {
    if (headerBytes < 0) {
      terminator = row.terminator || '\n'
      options.checkHeader?.(headerColumns(row.text).map((column) => column.trim()))
      used = write(row.text + terminator)
      headerBytes = used
      continue
    }
    // Encoded once, straight after the chunk so far; when it does not fit the chunk, the chunk is
    // handed out first and the row moved down behind the header afterwards.
    const rowBytes = write(row.text + terminator)
    if (rows > 0 && (rows >= options.maxRows || used + rowBytes > options.maxBytes)) {
      yield { data: staging.subarray(0, used), rows, bytes: used }
      staging.copyWithin(headerBytes, used, used + rowBytes)
      used = headerBytes
      rows = 0
    }
    used += rowBytes
    rows += 1
  }
  if (rows > 0) yield { data: staging.subarray(0, used), rows, bytes: used }
}

/** One CSV record: its text as written (quotes kept, no line terminator), fields, where it ended. */
type CsvRow = { text: string; fields: number; terminator: string }

const comma = 44
const quote = 34
const carriageReturn = 13
const lineFeed = 10

/** The source as text, decoded as UTF-8 across piece boundaries, without a byte order mark. */
async function* textPieces(source: CsvSource): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let first = true
  const text = (piece: string | Uint8Array) => {
    const decoded = typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true })
    const withoutMark = first && decoded.startsWith('\uFEFF') ? decoded.slice(1) : decoded
    if (decoded.length > 0) first = false
    return withoutMark
  }
  if (typeof source === 'string' || source instanceof Uint8Array) {
    yield text(source)
  } else if (typeof (source as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (source as ReadableStream<Uint8Array>).getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        yield text(value)
      }
    } finally {
      reader.releaseLock()
    }
  } else {
    for await (const piece of source as AsyncIterable<Uint8Array | string>) yield text(piece)
  }
  const rest = decoder.decode()
  if (rest.length > 0) yield rest
}

function malformed(code: string, line: number): KycInvalidRequestError {
  // Names the line and the rule, never the content of the row.
  return new KycInvalidRequestError({
    provider: 'persona',
    message: `The CSV is malformed near line ${line} (${code}).`,
    issues: [{ path: ['line', line], message: code, code }],
  })
}

/**
 * The records of a CSV (RFC 4180: `,` between fields, `"` around fields that hold commas, quotes or
 * line breaks, `""` for a quote inside one; `\n`, `\r\n` or `\r` between records), read piece by
 * piece as the caller asks for them. Blank lines are skipped; every record must have as many fields
 * as the header; a quote inside an unquoted field, text after a closing quote and a quote left open
 * are errors naming the line.
 */
async function* csvRows(source: CsvSource): AsyncGenerator<CsvRow> {
  let pending = ''
  let index = 0
  let rowStart = 0
  let fields = 1
  let state: 'field-start' | 'unquoted' | 'quoted' | 'quote-in-quoted' = 'field-start'
  let line = 1
  let columns = 0
  const finish = (end: number, terminator: string): CsvRow | undefined => {
    const text = pending.slice(rowStart, end)
    const row = { text, fields, terminator }
    fields = 1
    state = 'field-start'
    if (text.length === 0) return undefined
    if (columns === 0) columns = row.fields
    else if (row.fields !== columns) throw malformed('CSV_RECORD_INCONSISTENT_FIELDS_LENGTH', line)
    return row
  }
  for await (const piece of textPieces(source)) {
    pending += piece
    while (index < pending.length) {
      const code = pending.charCodeAt(index)
      if (state === 'quoted') {
        if (code === quote) state = 'quote-in-quoted'
        else if (
          code === lineFeed ||
          (code === carriageReturn && pending.charCodeAt(index + 1) !== lineFeed)
        ) {
          line += 1
        }
        index += 1
        continue
      }
      if (code === comma) {
        fields += 1
        state = 'field-start'
      } else if (code === lineFeed || code === carriageReturn) {
        // A lone `\r` at the end of the text so far may be the first half of `\r\n`: wait for more.
        if (code === carriageReturn && index + 1 === pending.length) break
        const crlf = code === carriageReturn && pending.charCodeAt(index + 1) === lineFeed
        const row = finish(index, crlf ? '\r\n' : code === carriageReturn ? '\r' : '\n')
        line += 1
        index += crlf ? 2 : 1
        rowStart = index
        if (row !== undefined) yield row
        continue
      } else if (state === 'field-start') {
        state = code === quote ? 'quoted' : 'unquoted'
      } else if (state === 'quote-in-quoted') {
        if (code !== quote) throw malformed('CSV_INVALID_CLOSING_QUOTE', line)
        state = 'quoted'
      } else if (code === quote) {
        throw malformed('CSV_INVALID_OPENING_QUOTE', line)
      }
      index += 1
    }
    // Keep only the record in progress; what came before it has been handed out.
    pending = pending.slice(rowStart)
    index -= rowStart
    rowStart = 0
  }
  if (index < pending.length && pending.charCodeAt(index) === carriageReturn) {
    // The text ended on a lone `\r`: a record terminator.
    const row = finish(index, '\r')
    if (row !== undefined) yield row
    return
  }
  if (state === 'quoted') throw malformed('CSV_QUOTE_NOT_CLOSED', line)
  const last = finish(pending.length, '')
  if (last !== undefined) yield last
}

/** The header's column names: its fields, unquoted. */
function headerColumns(text: string): string[] {
  const columns: string[] = []
  let field = ''
  let quoted = false
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index]
    if (quoted) {
      if (character !== '"') field += character
      else if (text[index + 1] === '"') {
        field += '"'
        index += 1
      } else quoted = false
    } else if (character === '"') quoted = true
    else if (character === ',') {
      columns.push(field)
      field = ''
    } else field += character
  }
  columns.push(field)
  return columns
}
