import { fixture } from './fixtures.js'

/** One request the fake received, as the adapter sent it. */
export type RecordedRequest = {
  method: string
  /** Path below `/api/v1/`, e.g. `inquiries/inq_1/approve`. */
  path: string
  search: URLSearchParams
  headers: Headers
  json: unknown
}

type Override = (request: RecordedRequest) => Response | undefined

type InquiryDocument = { data: { id: string; attributes: Record<string, unknown> }; meta?: unknown }

/**
 * A minimal, scriptable stand-in for Persona's API built from the recorded fixtures, for unit tests
 * that assert exactly what the adapter sends. Conformance runs against the real simulator instead.
 */
export function createFakePersona() {
  const requests: RecordedRequest[] = []
  const overrides: Override[] = []
  const inquiry = fixture('inquiry-created-2025-10-27.json') as InquiryDocument
  const inquiryId = inquiry.data.id
  const importedCsv: string[] = []
  let importerPolls = 0

  const document = (status?: string, meta?: Record<string, unknown>) => {
    if (status !== undefined) inquiry.data.attributes.status = status
    return Response.json({ data: inquiry.data, ...(meta ? { meta } : {}) })
  }

  const route = (request: RecordedRequest): Response => {
    const { method, path } = request
    const [resource, id, action] = path.split('/')
    if (resource === 'inquiries') {
      if (method === 'POST' && id === undefined)
        return Response.json({ data: inquiry.data, meta: {} }, { status: 201 })
      if (id !== inquiryId) return Response.json({ errors: [{ title: 'Record not found' }] }, { status: 404 })
      if (method === 'GET') return document()
      if (method === 'DELETE') return document()
      switch (action) {
        case 'generate-one-time-link':
          return document(undefined, { 'one-time-link': 'https://withpersona.com/verify?code=otl-secret' })
        case 'resume':
          return document('pending', { 'session-token': 'session-token-secret' })
        case 'add-tag': {
          const tags = (inquiry.data.attributes.tags as string[] | undefined) ?? []
          inquiry.data.attributes.tags = [
            ...tags,
            (request.json as { meta: { 'tag-name': string } }).meta['tag-name'],
          ]
          return document()
        }
        case 'expire':
          return document('expired')
        case 'approve':
          return document('approved')
        case 'decline':
          return document('declined')
        case 'mark-for-review':
          return document('needs_review')
        case 'perform-simulate-actions':
          return document('approved')
      }
    }
    if (resource === 'list' && method === 'POST') {
      const name = (request.json as { data: { attributes: { name: string } } }).data.attributes.name
      return Response.json(
        {
          data: {
            type: `list/${id}`.replace(/es$|s$/, ''),
            id: 'lst_1',
            attributes: { name, status: 'active' },
          },
        },
        { status: 201 },
      )
    }
    if (resource === 'lists' && id !== undefined) {
      return Response.json({
        data: {
          type: 'list/email-address',
          id,
          attributes: { name: 'blocklist', status: method === 'DELETE' ? 'archived' : 'active' },
        },
      })
    }
    if (resource === 'list-item' && method === 'POST') {
      return Response.json(
        { data: { type: `list-item/${id}`, id: `li_${requests.length}`, attributes: { status: 'pending' } } },
        { status: 201 },
      )
    }
    if (resource === 'importer' && method === 'POST') {
      const file = (request.json as { data: { attributes: { file: { data: string } } } }).data.attributes.file
      const csv = Buffer.from(file.data, 'base64').toString('utf8')
      importedCsv.push(csv)
      const rows = csv.trimEnd().split('\n').length - 1
      return Response.json(
        {
          data: {
            type: 'importer/list-item/email-address',
            id: `mprt_${importedCsv.length}`,
            attributes: {
              status: 'pending',
              'successful-count': 0,
              'error-count': 0,
              'duplicate-count': 0,
              rows,
            },
          },
        },
        { status: 201 },
      )
    }
    if (resource === 'importers' && id !== undefined) {
      importerPolls += 1
      const index = Number(id.replace('mprt_', '')) - 1
      const rows = (importedCsv[index] ?? '').trimEnd().split('\n').length - 1
      return Response.json({
        data: {
          type: 'importer/list-item/email-address',
          id,
          attributes: {
            status: 'ready',
            'successful-count': rows - 1,
            'error-count': 0,
            'duplicate-count': 1,
          },
        },
      })
    }
    if (resource === 'cases') {
      return Response.json(
        {
          data: {
            type: 'case',
            id: id ?? 'case_1',
            attributes: {
              status: 'Open',
              name: 'KCAS-1',
              'assignee-id': action === 'assign' ? 'user_7' : null,
            },
            relationships: { inquiries: { data: [{ type: 'inquiry', id: inquiryId }] } },
          },
        },
        { status: id === undefined ? 201 : 200 },
      )
    }
    if (resource === 'accounts') {
      if (action === 'relations') {
        const after = request.search.get('page[after]')
        const page = after === null ? ['act_r1', 'act_r2'] : after === 'act_r2' ? ['act_r3'] : []
        const next = after === null ? '/api/v1/accounts/act_1/relations?page%5Bafter%5D=act_r2' : null
        return Response.json({
          data: page.map((account) => ({
            type: 'account',
            id: account,
            attributes: { 'reference-id': `ref-${account}` },
          })),
          links: { prev: null, next },
        })
      }
      return Response.json(
        {
          data: {
            type: 'account',
            id: id ?? 'act_1',
            attributes: { 'reference-id': 'user_123', tags: ['vip'] },
          },
        },
        { status: method === 'POST' ? 201 : 200 },
      )
    }
    return Response.json({ errors: [{ title: 'Record not found' }] }, { status: 404 })
  }

  const fetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init)
    const url = new URL(request.url)
    const text = request.method === 'GET' ? '' : await request.text()
    const recorded: RecordedRequest = {
      method: request.method,
      path: url.pathname.replace(/^\/api\/v1\//, ''),
      search: url.searchParams,
      headers: request.headers,
      json: text === '' ? undefined : JSON.parse(text),
    }
    requests.push(recorded)
    for (const [index, override] of overrides.entries()) {
      const response = override(recorded)
      if (response !== undefined) {
        overrides.splice(index, 1)
        return response
      }
    }
    return route(recorded)
  }

  return {
    fetch,
    requests,
    inquiryId,
    importedCsv,
    importerPolls: () => importerPolls,
    /** The next request the predicate accepts gets this response instead. */
    once(predicate: (request: RecordedRequest) => boolean, response: () => Response) {
      overrides.push((request) => (predicate(request) ? response() : undefined))
    },
    /** Sets the inquiry's status as later reads return it. */
    setStatus(status: string) {
      inquiry.data.attributes.status = status
    },
  }
}
