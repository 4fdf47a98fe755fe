import { KycInvalidRequestError } from '@openkyc/core'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { chunkCsv, chunkCsvBytes } from '../src/persona-csv.js'

async function collect(source: Parameters<typeof chunkCsv>[0], maxRows = 2, maxBytes = 1 << 20) {
  const chunks = []
  for await (const chunk of chunkCsv(source, { maxRows, maxBytes })) chunks.push(chunk)
  return chunks
}

describe('chunkCsv', () => {
  it('splits at row boundaries, repeating the header in every chunk', async () => {
    const chunks = await collect(
      'value,match_type\na@x.test,email_address\nb@x.test,domain\nc@x.test,domain\n',
    )
    expect(chunks.map((chunk) => chunk.csv)).toEqual([
      'value,match_type\na@x.test,email_address\nb@x.test,domain\n',
      'value,match_type\nc@x.test,domain\n',
    ])
    expect(chunks.map((chunk) => chunk.rows)).toEqual([2, 1])
    expect(chunks[0]?.bytes).toBe(new TextEncoder().encode(chunks[0]?.csv).byteLength)
  })

  it('keeps quoted fields (commas, quotes, newlines) intact across chunk boundaries', async () => {
    const csv = 'name_first,name_last\r\n"Ann, the first","O""Neil"\r\n"multi\r\nline",Smith\r\nZoë,Ünal'
    const chunks = await collect(csv, 1)
    expect(chunks).toHaveLength(3)
    const rows = chunks.flatMap((chunk) => parse(chunk.csv, { columns: true }) as Record<string, string>[])
    expect(rows).toEqual([
      { name_first: 'Ann, the first', name_last: 'O"Neil' },
      { name_first: 'multi\r\nline', name_last: 'Smith' },
      { name_first: 'Zoë', name_last: 'Ünal' },
    ])
  })

  it('reads streams of bytes split anywhere, a BOM, and blank lines', async () => {
    const text = '\uFEFFvalue\n\nfirst@x.test\n\nsecond@x.test\n'
    const bytes = new TextEncoder().encode(text)
    async function* pieces() {
      for (let index = 0; index < bytes.length; index += 3) yield bytes.slice(index, index + 3)
    }
    const chunks = await collect(pieces(), 10)
    expect(chunks).toEqual([{ csv: 'value\nfirst@x.test\nsecond@x.test\n', rows: 2, bytes: 33 }])
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes)
        controller.close()
      },
    })
    expect(await collect(stream, 10)).toEqual(chunks)
  })

  it('starts a new chunk before a row that would pass the byte limit', async () => {
    const chunks = await collect('value\naaaaaaaaaa\nbbbbbbbbbb\ncccccccccc\n', 100, 30)
    expect(chunks.map((chunk) => chunk.rows)).toEqual([2, 1])
    for (const chunk of chunks) expect(chunk.bytes).toBeLessThanOrEqual(30)
  })

  it('yields nothing for a header without rows', async () => {
    expect(await collect('value\n')).toEqual([])
  })

  it('reports each kind of malformed CSV by line and rule, never by content', async () => {
    for (const [csv, code] of [
      ['value\n"secret-person@x.test\n', 'CSV_QUOTE_NOT_CLOSED'],
      ['value\n"secret-person"@x.test\n', 'CSV_INVALID_CLOSING_QUOTE'],
      ['value\nsecret"person@x.test\n', 'CSV_INVALID_OPENING_QUOTE'],
      ['value\nok@x.test\nsecret-person@x.test,extra\n', 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH'],
    ] as const) {
      const error = await collect(csv).catch((caught) => caught)
      expect(error).toBeInstanceOf(KycInvalidRequestError)
      expect((error as Error).message).toMatch(new RegExp(`near line \\d+ \\(${code}\\)`))
      expect(JSON.stringify(error)).not.toContain('secret')
    }
    const late = await collect('value\na\nb\nc,d\n').catch((caught) => caught)
    expect((late as Error).message).toContain('near line 4')
  })

  it('reads \\r line breaks, \\r\\n split across pieces and a last row without a line break', async () => {
    async function* pieces() {
      yield 'value,kind\r'
      yield '\na@x.test,email\r'
      yield '\nb@x.test,email'
    }
    expect((await collect(pieces(), 10)).map((chunk) => chunk.csv)).toEqual([
      'value,kind\r\na@x.test,email\r\nb@x.test,email\r\n',
    ])
    expect((await collect('value\ra\rb\r', 10)).map((chunk) => chunk.csv)).toEqual(['value\ra\rb\r'])
  })

  it('reports malformed CSV by line, never by content', async () => {
    const error = await collect('value,match_type\nsecret-person@x.test,email_address,extra\n').catch(
      (caught) => caught,
    )
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect(JSON.stringify(error)).not.toContain('secret-person')
    expect((error as Error).message).not.toContain('secret-person')
    expect((error as Error).cause).toBeUndefined()
  })

  it('lets the caller refuse the header before anything is produced', async () => {
    const refused = chunkCsv('nope\nrow\n', {
      maxRows: 10,
      maxBytes: 1000,
      checkHeader: (columns) => {
        expect(columns).toEqual(['nope'])
        throw new Error('refused')
      },
    })
    await expect(refused.next()).rejects.toThrow('refused')
  })

  it('reads the source only as fast as chunks are consumed (bounded memory)', async () => {
    let rowsProduced = 0
    async function* source() {
      yield 'value\n'
      for (let row = 0; row < 50_000; row++) {
        rowsProduced++
        yield `row-${row}@x.test\n`
      }
    }
    let rowsConsumed = 0
    let maxAhead = 0
    for await (const chunk of chunkCsv(source(), { maxRows: 1_000, maxBytes: 1 << 20 })) {
      rowsConsumed += chunk.rows
      maxAhead = Math.max(maxAhead, rowsProduced - rowsConsumed)
    }
    expect(rowsConsumed).toBe(50_000)
    // Without back-pressure the whole source would be read before the first chunk (50 000 ahead).
    expect(maxAhead).toBeLessThan(5_000)
  })
})

describe('chunkCsvBytes', () => {
  it('writes each chunk as UTF-8 into one reused buffer, growing it for a row larger than the rest', async () => {
    const long = `${'ü'.repeat(50_000)}@x.test`
    const csv = `value\na@x.test\n${long}\nb@x.test\nc@x.test\n`
    const decoded: string[] = []
    const buffers = new Set<ArrayBufferLike>()
    for await (const chunk of chunkCsvBytes(csv, { maxRows: 2, maxBytes: 2_048 })) {
      expect(chunk.bytes).toBe(chunk.data.byteLength)
      buffers.add(chunk.data.buffer)
      decoded.push(new TextDecoder().decode(chunk.data))
    }
    expect(decoded).toEqual(['value\na@x.test\n', `value\n${long}\n`, 'value\nb@x.test\nc@x.test\n'])
    // One staging buffer is reused for every chunk: it grew once, for the long row, which is encoded
    // before the chunk in front of it is handed out (then moved down behind the header).
    expect(buffers.size).toBe(1)
  })
})
