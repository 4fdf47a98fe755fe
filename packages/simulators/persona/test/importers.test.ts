import { createCsv, generateCsvRows } from '@openkyc/testkit/harness'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configurePersonaLists, readPersonaListReceipt } from '../src/lists.js'
import { validatePersonaRequest, validatePersonaResponse } from '../src/openapi/index.js'
import { startTestPersona, type TestPersona, testApiKey } from './lists-server.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON:API bodies are inspected loosely in assertions
type Json = any

let persona: TestPersona

beforeEach(async () => {
  persona = await startTestPersona()
})

afterEach(async () => {
  await persona.close()
  expect(persona.checkedFetch.violations).toEqual([])
  expect(persona.checkedFetch.checkedResponses()).toBeGreaterThan(0)
})

async function createList(plural: string): Promise<string> {
  const reply = await persona.call('POST', `/list/${plural}`, {
    data: { attributes: { name: `import ${plural}` } },
  })
  expect(reply.status).toBe(201)
  return (reply.body.data as Json).id
}

function importBody(listId: string, csv: string, filename = 'values.csv') {
  return {
    data: {
      attributes: { 'list-id': listId, file: { data: Buffer.from(csv).toString('base64'), filename } },
    },
  }
}

async function importCsv(plural: string, listId: string, csv: string, headers: Record<string, string> = {}) {
  return persona.call('POST', `/importer/list-item/${plural}`, importBody(listId, csv), headers)
}

async function retrieve(importerId: string): Promise<Json> {
  const reply = await persona.call('GET', `/importers/${importerId}`)
  expect(reply.status).toBe(200)
  return reply.body.data
}

describe('CSV importers', () => {
  it('answers pending with zero counts, then reads ready with successful, error and duplicate counts', async () => {
    const listId = await createList('email-addresses')
    const existing = await persona.call('POST', '/list-item/email-addresses', {
      data: { attributes: { 'list-id': listId, value: 'already@example.test' } },
    })
    expect(existing.status).toBe(201)
    const csv = createCsv({
      header: ['value', 'match_type'],
      rows: [
        ['one@example.test', 'email_address'],
        ['two@example.test', ''],
        ['bad.test', 'domain'],
        ['not-an-email', 'email_address'], // invalid email
        ['three@example.test', 'regex'], // invalid match type
        ['four@example.test', 'email_address', 'surplus'], // wrong number of columns
        ['ONE@example.test', 'email_address'], // duplicate of a row above
        ['already@example.test', 'email_address'], // duplicate of an existing item
      ],
    })
    const created = await importCsv('email-addresses', listId, csv)
    expect(created.status).toBe(201)
    expect(created.body.data).toMatchObject({
      type: 'importer/list-item/email-address',
      attributes: {
        status: 'pending',
        'completed-at': null,
        'successful-count': 0,
        'error-count': 0,
        'duplicate-count': 0,
        'created-at': '2030-01-01T00:00:00.000Z',
      },
    })
    const id = (created.body.data as Json).id as string
    expect(id).toMatch(/^mprt_/)

    const ready = await retrieve(id)
    expect(ready.attributes).toEqual({
      status: 'ready',
      'created-at': '2030-01-01T00:00:00.000Z',
      'completed-at': '2030-01-01T00:00:00.000Z',
      'successful-count': 3,
      'error-count': 3,
      'duplicate-count': 2,
    })
    const receipt = readPersonaListReceipt(persona.context, listId)
    expect(receipt.values).toEqual([
      'already@example.test',
      'one@example.test',
      'two@example.test',
      'bad.test',
    ])
    expect(receipt).toMatchObject({
      rowsReceived: 8,
      acceptedRows: 3,
      duplicateRows: 2,
      errorRows: 3,
      importerCount: 1,
    })
  })

  it('stays pending until the simulator clock reaches the configured processing delay', async () => {
    configurePersonaLists(persona.context, { importerProcessingDelayMs: 5_000 })
    const listId = await createList('phone-numbers')
    const created = await importCsv('phone-numbers', listId, 'value\n+15555550100\n+15555550101\n')
    const id = (created.body.data as Json).id as string
    await persona.clock.advance(4_999)
    expect((await retrieve(id)).attributes).toMatchObject({ status: 'pending', 'successful-count': 0 })
    await persona.clock.advance(1)
    expect((await retrieve(id)).attributes).toMatchObject({
      status: 'ready',
      'successful-count': 2,
      'completed-at': '2030-01-01T00:00:05.000Z',
    })
  })

  it('imports every documented kind with its own columns', async () => {
    const cases: Array<[string, string, string, number, number]> = [
      ['names', 'name', 'name_first,name_last\nTest,Person\nOther,\nTest,Person\n', 1, 1],
      [
        'government-id-numbers',
        'government-id-number',
        'id_number,id_class\nX1234567,pp\n,dl\nD7654321,dl\n',
        2,
        1,
      ],
      ['ip-addresses', 'ip-address', 'value\n203.0.113.7\n2001:db8::1\n999.1.1.1\n', 2, 1],
      ['phone-numbers', 'phone-number', 'value\n+1 (555) 555-0100\nabc\n', 1, 1],
      [
        'geolocations',
        'geolocation',
        'latitude,longitude,radius_meters\n52.37,4.89,500\n95,4.89,500\n1,2,x\n',
        1,
        2,
      ],
    ]
    for (const [plural, singular, csv, successful, errors] of cases) {
      const listId = await createList(plural)
      const created = await importCsv(plural, listId, csv)
      expect(created.status, plural).toBe(201)
      const ready = await retrieve((created.body.data as Json).id)
      expect(ready.type).toBe(`importer/list-item/${singular}`)
      expect(ready.attributes, plural).toMatchObject({
        status: 'ready',
        'successful-count': successful,
        'error-count': errors,
      })
    }
  })

  it('marks files with wrong headers or that are not CSV as errored', async () => {
    const listId = await createList('email-addresses')
    const missingColumn = await importCsv(
      'email-addresses',
      listId,
      'email\none@example.test\ntwo@example.test\n',
    )
    expect((await retrieve((missingColumn.body.data as Json).id)).attributes).toMatchObject({
      status: 'errored',
      'successful-count': 0,
      'error-count': 2,
    })
    const unknownColumn = await importCsv('email-addresses', listId, 'value,colour\none@example.test,red\n')
    expect((await retrieve((unknownColumn.body.data as Json).id)).attributes.status).toBe('errored')
    const notCsv = await importCsv('email-addresses', listId, 'value\n"unterminated\n')
    expect((await retrieve((notCsv.body.data as Json).id)).attributes.status).toBe('errored')
    const empty = await importCsv('email-addresses', listId, '\n')
    expect((await retrieve((empty.body.data as Json).id)).attributes.status).toBe('errored')
    expect(readPersonaListReceipt(persona.context, listId).values).toEqual([])
  })

  it('accepts multipart uploads with data[attributes][file] and list-id', async () => {
    const listId = await createList('ip-addresses')
    const form = new FormData()
    form.append('data[attributes][list-id]', listId)
    form.append(
      'data[attributes][file]',
      new Blob(['value\n192.0.2.1\n192.0.2.2\n'], { type: 'text/csv' }),
      'ips.csv',
    )
    expect(
      validatePersonaRequest({
        method: 'POST',
        path: '/importer/list-item/ip-addresses',
        contentType: 'multipart/form-data',
        body: { data: { attributes: { 'list-id': listId, file: 'value\n192.0.2.1\n192.0.2.2\n' } } },
      }).valid,
    ).toBe(true)
    const response = await persona.checkedFetch(`${persona.baseUrl}/api/v1/importer/list-item/ip-addresses`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${testApiKey}`, 'Idempotency-Key': 'multipart-1' },
      body: form,
    })
    expect(response.status).toBe(201)
    const created = (await response.json()) as Json
    expect((await retrieve(created.data.id)).attributes).toMatchObject({
      status: 'ready',
      'successful-count': 2,
    })
    expect(readPersonaListReceipt(persona.context, listId).values).toEqual(['192.0.2.1', '192.0.2.2'])
  })

  it('refuses a missing file, an unknown or archived list and a list of another kind', async () => {
    const emails = await createList('email-addresses')
    const names = await createList('names')
    const noFile = await persona.call('POST', '/importer/list-item/email-addresses', {
      data: { attributes: { 'list-id': emails } },
    })
    expect(noFile).toMatchObject({
      status: 400,
      body: { errors: [{ details: 'data.attributes.file is missing' }] },
    })
    // The checking fetch saw that this request breaks the official schema; that was the point.
    expect(persona.checkedFetch.violations.splice(0)).toMatchObject([
      {
        direction: 'request',
        errors: [{ pointer: '/data/attributes', message: "must have required property 'file' (file)" }],
      },
    ])
    // Importers document no 404: an unknown list is an unprocessable list-id.
    const unknownList = await importCsv('email-addresses', 'lst_missing', 'value\na@example.test\n')
    expect(unknownList.status).toBe(422)
    expect(unknownList.body.errors).toEqual([
      {
        title: 'Unprocessable entity',
        details: 'list-id does not reference a list',
        source: { pointer: '/data/attributes/list-id' },
      },
    ])
    const wrongKind = await importCsv('email-addresses', names, 'value\na@example.test\n')
    expect(wrongKind.status).toBe(422)
    await persona.call('DELETE', `/lists/${emails}`)
    expect((await importCsv('email-addresses', emails, 'value\na@example.test\n')).status).toBe(422)
    expect((await persona.call('GET', '/importers/mprt_missing')).status).toBe(404)
    expect(readPersonaListReceipt(persona.context, names).importerCount).toBe(0)
  })

  it('lists importers newest first, each settled', async () => {
    const listId = await createList('phone-numbers')
    const first = await importCsv('phone-numbers', listId, 'value\n+15555550100\n')
    const second = await importCsv('phone-numbers', listId, 'value\n+15555550100\n+15555550102\n')
    const listed = await persona.call('GET', '/importers')
    expect(listed.status).toBe(200)
    expect(
      (listed.body.data as Json[]).map((importer) => [importer.id, importer.attributes['duplicate-count']]),
    ).toEqual([
      [(second.body.data as Json).id, 1],
      [(first.body.data as Json).id, 0],
    ])
    expect(listed.body.links).toEqual({ prev: null, next: null })
  })

  it('does not count a chunk twice when a retry replays its Idempotency-Key', async () => {
    const listId = await createList('email-addresses')
    const csv = 'value\nretry@example.test\n'
    const first = await importCsv('email-addresses', listId, csv, { 'Idempotency-Key': 'chunk-0001' })
    const replay = await importCsv('email-addresses', listId, csv, { 'Idempotency-Key': 'chunk-0001' })
    expect(replay.status).toBe(201)
    expect((replay.body.data as Json).id).toBe((first.body.data as Json).id)
    expect(readPersonaListReceipt(persona.context, listId)).toMatchObject({
      importerCount: 1,
      rowsReceived: 1,
    })
  })

  it('receives every row of a 100,000-row file sent in chunks exactly once', async () => {
    const listId = await createList('email-addresses')
    const rows = 100_000
    const address = (index: number) => `applicant-${index}@example.test`
    let header = ''
    const importerIds: string[] = []
    for await (const chunk of generateCsvRows(rows, (index) => [address(index)], {
      header: ['value'],
      rowsPerChunk: 12_500,
    })) {
      if (header === '') {
        header = chunk
        continue
      }
      const created = await importCsv('email-addresses', listId, header + chunk)
      expect(created.status).toBe(201)
      importerIds.push((created.body.data as Json).id)
    }
    expect(importerIds).toHaveLength(8)
    let successful = 0
    for (const id of importerIds) {
      const importer = await retrieve(id)
      expect(importer.attributes).toMatchObject({ status: 'ready', 'error-count': 0, 'duplicate-count': 0 })
      successful += importer.attributes['successful-count']
    }
    expect(successful).toBe(rows)

    const receipt = readPersonaListReceipt(persona.context, listId)
    expect(receipt).toMatchObject({ rowsReceived: rows, acceptedRows: rows, duplicateRows: 0, errorRows: 0 })
    expect(receipt.values).toHaveLength(rows)
    const mismatches = receipt.values.filter((value, index) => value !== address(index))
    expect(mismatches).toEqual([])

    // Sending one chunk again is visible: its rows are duplicates, and no value appears twice.
    const again = await importCsv('email-addresses', listId, `value\r\n${address(0)}\r\n${address(1)}\r\n`)
    expect((await retrieve((again.body.data as Json).id)).attributes['duplicate-count']).toBe(2)
    expect(readPersonaListReceipt(persona.context, listId)).toMatchObject({
      duplicateRows: 2,
      values: { length: rows },
    })
  }, 60_000)

  it('imports accounts: one per row, duplicates by reference id, invalid birthdates as errors', async () => {
    const existing = await persona.call('POST', '/accounts', {
      data: { attributes: { 'reference-id': 'user-1' } },
    })
    expect(existing.status).toBe(201)
    const csv = createCsv({
      header: ['reference_id', 'name_first', 'name_last', 'birthdate', 'tags'],
      rows: [
        ['user-2', 'Test', 'Applicant', '1990-01-31', 'vip;beta'],
        ['user-3', 'Other', 'Applicant', '', ''],
        ['user-4', 'Bad', 'Date', '31/01/1990', ''],
        ['user-2', 'Again', 'Applicant', '', ''], // repeated in the file
        ['user-1', 'Existing', 'Applicant', '', ''], // already an account
      ],
    })
    const created = await persona.call('POST', '/importer/accounts', {
      data: { attributes: { file: { data: Buffer.from(csv).toString('base64'), filename: 'accounts.csv' } } },
    })
    expect(created.status).toBe(201)
    expect(created.body.data).toMatchObject({ type: 'importer/account', attributes: { status: 'pending' } })
    expect((await retrieve(created.body.data.id)).attributes).toMatchObject({
      status: 'ready',
      'successful-count': 2,
      'error-count': 1,
      'duplicate-count': 2,
    })
    const imported = await persona.call('GET', '/accounts?filter[reference-id]=user-2')
    expect(imported.body.data).toHaveLength(1)
    expect(imported.body.data[0].attributes.tags).toEqual(['vip', 'beta'])
    expect(imported.body.data[0].attributes.fields.name.value.first.value).toBe('Test')
    const names = persona.context.state
      .collection('event')
      .list()
      .map((event) => event.attributes.name)
    expect(names.filter((name) => name === 'account.created')).toHaveLength(3)
  })

  it('produces responses that match the official importer examples in shape', async () => {
    const listId = await createList('names')
    const created = await importCsv('names', listId, 'name_first,name_last\nA,B\n')
    const result = validatePersonaResponse({
      method: 'POST',
      path: '/importer/list-item/names',
      status: created.status,
      body: created.body,
    })
    expect(result).toMatchObject({ valid: true, operation: 'POST /importer/list-item/names' })
  })
})
