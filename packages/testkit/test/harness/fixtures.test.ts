import { parse } from 'csv-parse/sync'
import { imageSize } from 'image-size'
import jpeg from 'jpeg-js'
import { describe, expect, it } from 'vitest'
import { createCsv, createJpeg, createPng, generateCsvRows } from '../../src/harness/index.js'

describe('image fixtures', () => {
  it('creates a decodable JPEG of the requested size', () => {
    const bytes = createJpeg({ width: 64, height: 40 })
    expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff])
    expect(imageSize(bytes)).toMatchObject({ type: 'jpg', width: 64, height: 40 })
    expect(jpeg.decode(bytes, { useTArray: true })).toMatchObject({ width: 64, height: 40 })
  })

  it('creates a PNG of the requested size, the same bytes for the same seed', () => {
    const bytes = createPng({ width: 30, height: 20, seed: 7 })
    expect(imageSize(bytes)).toMatchObject({ type: 'png', width: 30, height: 20 })
    expect(createPng({ width: 30, height: 20, seed: 7 })).toEqual(bytes)
    expect(createPng({ width: 30, height: 20, seed: 8 })).not.toEqual(bytes)
  })

  it('fills with one colour when asked', () => {
    const decoded = jpeg.decode(createJpeg({ width: 8, height: 8, fill: [0, 0, 255], quality: 100 }), {
      useTArray: true,
    })
    expect(decoded.data[2]).toBeGreaterThan(240)
    expect(decoded.data[0]).toBeLessThan(15)
  })

  it('refuses impossible sizes', () => {
    expect(() => createPng({ width: 0, height: 10 })).toThrow(RangeError)
  })
})

describe('CSV fixtures', () => {
  it('quotes fields that need it', () => {
    const csv = createCsv({
      header: ['value', 'note'],
      rows: [
        ['a,b', 'say "hi"'],
        ['plain', null],
      ],
    })
    expect(csv).toBe('value,note\r\n"a,b","say ""hi"""\r\nplain,\r\n')
    expect(parse(csv, { columns: true })).toEqual([
      { value: 'a,b', note: 'say "hi"' },
      { value: 'plain', note: '' },
    ])
  })

  it('streams many rows in chunks of whole lines', async () => {
    let chunks = 0
    let text = ''
    for await (const chunk of generateCsvRows(2_500, (index) => [`name-${index}`, index], {
      header: ['value', 'index'],
      rowsPerChunk: 1_000,
    })) {
      chunks += 1
      expect(chunk.endsWith('\r\n')).toBe(true)
      text += chunk
    }
    expect(chunks).toBe(4)
    const rows = parse(text, { columns: true }) as { value: string; index: string }[]
    expect(rows).toHaveLength(2_500)
    expect(rows[2_499]).toEqual({ value: 'name-2499', index: '2499' })
  })
})
