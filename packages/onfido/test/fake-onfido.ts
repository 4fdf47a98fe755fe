import { fixture, ids } from './fixtures.js'

/** One request the fake received, as the adapter sent it. */
export type RecordedRequest = {
  method: string
  /** Path below `/v3.6/`, for example `workflow_runs/<id>`. */
  path: string
  search: URLSearchParams
  headers: Headers
  /** The JSON body, when there was one. */
  json?: unknown
  /** The multipart body, when there was one. */
  form?: FormData
}

/** A scripted answer for one request, or `undefined` to fall through to the fixtures. */
export type Override = (request: RecordedRequest) => Response | undefined

const notFound = () =>
  Response.json(
    { error: { type: 'resource_not_found', message: 'Could not find the following resource' } },
    { status: 404 },
  )

/**
 * A minimal, scriptable stand-in for Onfido's API served from the fixtures, for unit tests that
 * assert exactly what the adapter sends. Conformance runs against the Onfido simulator instead.
 */
export function createFakeOnfido(
  options: { run?: string; reports?: string; checks?: string | null; applicantDeleted?: boolean } = {},
) {
  const requests: RecordedRequest[] = []
  const overrides: Override[] = []
  let checksCreated = 0

  const route = (request: RecordedRequest): Response => {
    const { method, path, search } = request
    const [resource, id, action] = path.split('/')
    if (resource === 'applicants') {
      if (method === 'POST' && id === undefined)
        return Response.json(fixture('applicant.json'), { status: 201 })
      if (id !== ids.applicant) return notFound()
      if (method === 'DELETE') return new Response(null, { status: 204 })
      if (method === 'POST' && action === 'restore') return new Response(null, { status: 204 })
      const applicant = fixture<Record<string, unknown>>('applicant.json')
      if (options.applicantDeleted) applicant.delete_at = '2026-01-21T00:00:00Z'
      return Response.json(applicant)
    }
    if (resource === 'workflow_runs') {
      if (method === 'POST')
        return Response.json(fixture('workflow-run-awaiting-input.json'), { status: 201 })
      if (id !== ids.workflowRun) return notFound()
      return Response.json(fixture(options.run ?? 'workflow-run-approved.json'))
    }
    if (resource === 'checks') {
      if (method === 'POST') {
        checksCreated += 1
        const { checks } = fixture<{ checks: Record<string, unknown>[] }>('checks-complete-clear.json')
        return Response.json({ ...checks[0], status: 'in_progress', result: null }, { status: 201 })
      }
      if (id !== undefined) {
        if (id !== ids.check) return notFound()
        return Response.json(fixture<{ checks: unknown[] }>('checks-complete-clear.json').checks[0])
      }
      if (search.get('applicant_id') !== ids.applicant || options.applicantDeleted) return notFound()
      if (options.checks === null && checksCreated === 0) return Response.json({ checks: [] })
      return Response.json(fixture(options.checks ?? 'checks-complete-clear.json'))
    }
    if (resource === 'reports') {
      if (search.get('check_id') !== ids.check) return notFound()
      return Response.json(fixture(options.reports ?? 'reports-clear.json'))
    }
    if (resource === 'documents' || resource === 'live_photos') {
      return Response.json({ id: crypto.randomUUID() }, { status: 201 })
    }
    return notFound()
  }

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init)
    const url = new URL(request.url)
    const contentType = request.headers.get('content-type') ?? ''
    const recorded: RecordedRequest = {
      method: request.method,
      path: url.pathname.replace(/^\/v3\.6\//, ''),
      search: url.searchParams,
      headers: request.headers,
      ...(contentType.startsWith('application/json') ? { json: await request.json() } : {}),
      ...(contentType.startsWith('multipart/form-data') ? { form: await request.formData() } : {}),
    }
    requests.push(recorded)
    for (const override of overrides) {
      const response = override(recorded)
      if (response !== undefined) return response
    }
    return route(recorded)
  }

  return {
    fetch: fetch as typeof globalThis.fetch,
    requests,
    /** Answers matching requests with a scripted response first. */
    override(override: Override) {
      overrides.push(override)
    },
    /** `METHOD path` of every request so far. */
    lines: () => requests.map((request) => `${request.method} ${request.path}`),
  }
}
