/**
 * Error responses. Jumio documents exactly one error body, the RFC 7807-like 429 body
 * `{ "title": "Too Many Requests", "status": 429, "detail": "Request limit exceeded" }`
 * (`reference/jumio-api.md` §8); every other status uses the same shape, since the real bodies are
 * not public. `detail` never repeats a request value: values may be personal data or secrets.
 */

const titles: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** A problem body as the simulator sends it. */
export type JumioProblemBody = { title: string; status: number; detail: string }

/** The body of an error response with the given status. */
export function jumioProblemBody(status: number, detail?: string): JumioProblemBody {
  const title = titles[status] ?? 'Error'
  return { title, status, detail: detail ?? (status === 429 ? 'Request limit exceeded' : title) }
}

/** An error response in the simulator's one error shape. */
export function jumioProblem(status: number, detail?: string, headers?: Record<string, string>): Response {
  return Response.json(jumioProblemBody(status, detail), { status, ...(headers ? { headers } : {}) })
}

/**
 * `instanceof Response` is unreliable here: `@hono/node-server` swaps the global `Response` for its
 * own class, so values are told apart by shape.
 */
export function isResponse(value: unknown): value is Response {
  return (
    typeof value === 'object' && value !== null && 'status' in value && 'headers' in value && 'body' in value
  )
}

/** A multipart file field (a `Blob` or `File`, whichever class the runtime made it from). */
export function isBlob(value: unknown): value is Blob {
  return typeof value === 'object' && value !== null && 'arrayBuffer' in value && 'size' in value
}
