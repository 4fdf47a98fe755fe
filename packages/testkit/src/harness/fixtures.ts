import jpeg from 'jpeg-js'
import pngjs from 'pngjs'

/** Options for the generated images. */
export type ImageFixtureOptions = {
  width: number
  height: number
  /** `noise` (default) gives vendors' size and quality checks something real to chew on; or one RGB colour. */
  fill?: 'noise' | readonly [red: number, green: number, blue: number]
  /** Seed of the noise, so a fixture is the same bytes on every run. Default 1. */
  seed?: number
}

function rgbaPixels({ width, height, fill = 'noise', seed = 1 }: ImageFixtureOptions): Uint8Array {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError('image fixtures need positive integer width and height')
  }
  const data = new Uint8Array(width * height * 4)
  let state = seed >>> 0 || 1
  for (let offset = 0; offset < data.length; offset += 4) {
    if (fill === 'noise') {
      // xorshift32: cheap, deterministic, good enough to defeat run-length compression.
      state ^= state << 13
      state ^= state >>> 17
      state ^= state << 5
      data[offset] = state & 0xff
      data[offset + 1] = (state >>> 8) & 0xff
      data[offset + 2] = (state >>> 16) & 0xff
    } else {
      data[offset] = fill[0]
      data[offset + 1] = fill[1]
      data[offset + 2] = fill[2]
    }
    data[offset + 3] = 0xff
  }
  return data
}

/**
 * A valid JPEG made in code: document and selfie uploads without shipping images (and without ever
 * shipping a real person's face).
 *
 * @example
 * ```ts
 * await adapter.uploadCredential({ reference, kind: 'id_document', part: 'front', content: createJpeg({ width: 640, height: 400 }), contentType: 'image/jpeg' })
 * ```
 */
export function createJpeg(options: ImageFixtureOptions & { quality?: number }): Uint8Array {
  const encoded = jpeg.encode(
    { width: options.width, height: options.height, data: rgbaPixels(options) },
    options.quality ?? 80,
  )
  return new Uint8Array(encoded.data.buffer, encoded.data.byteOffset, encoded.data.byteLength)
}

/**
 * A valid PNG made in code.
 *
 * @example
 * ```ts
 * const selfie = createPng({ width: 480, height: 640, fill: [200, 180, 160] })
 * ```
 */
export function createPng(options: ImageFixtureOptions): Uint8Array {
  const png = new pngjs.PNG({ width: options.width, height: options.height })
  png.data = Buffer.from(rgbaPixels(options))
  const encoded = pngjs.PNG.sync.write(png)
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength)
}

function csvField(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One CSV row's values. */
export type CsvRow = readonly (string | number | boolean | null | undefined)[]

function csvLine(row: CsvRow): string {
  return `${row.map(csvField).join(',')}\r\n`
}

/**
 * A small CSV document (RFC 4180 quoting, CRLF line ends) for list imports.
 *
 * @example
 * ```ts
 * const csv = createCsv({ header: ['value'], rows: [['blocked@example.test']] })
 * ```
 */
export function createCsv(options: { header: CsvRow; rows: readonly CsvRow[] }): string {
  return [options.header, ...options.rows].map(csvLine).join('')
}

/**
 * Streams a large CSV without holding it in memory: for bulk imports of hundreds of thousands of rows.
 * Yields chunks of whole lines (header first when given).
 *
 * @example
 * ```ts
 * const csv = generateCsvRows(500_000, (index) => [`name-${index}`], { header: ['value'] })
 * await adapter.importListItems({ listId, csv })
 * ```
 */
export async function* generateCsvRows(
  count: number,
  makeRow: (index: number) => CsvRow,
  options: { header?: CsvRow; rowsPerChunk?: number } = {},
): AsyncGenerator<string, void, undefined> {
  const rowsPerChunk = options.rowsPerChunk ?? 1000
  if (options.header !== undefined) yield csvLine(options.header)
  let chunk = ''
  let rowsInChunk = 0
  for (let index = 0; index < count; index += 1) {
    chunk += csvLine(makeRow(index))
    rowsInChunk += 1
    if (rowsInChunk === rowsPerChunk) {
      yield chunk
      chunk = ''
      rowsInChunk = 0
    }
  }
  if (chunk !== '') yield chunk
}
