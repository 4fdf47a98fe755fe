import type { OpenedRetrievalResponse, RawArchive } from '@openkyc/core'

/** Decrypts every archived retrieval response (of one provider, when given), oldest first. */
export async function openArchivedResponses(
  archive: RawArchive,
  provider?: string,
): Promise<OpenedRetrievalResponse[]> {
  const opened: OpenedRetrievalResponse[] = []
  const query = provider === undefined ? {} : { provider }
  for await (const payload of archive.read({ ...query, kind: 'retrieval_response' })) {
    opened.push(await archive.openResponse(payload))
  }
  return opened
}

/**
 * A `fetch` that answers from the archive instead of the vendor: for each request, the newest
 * archived response to the same method, path and query stored before `beforeSequence` (what the
 * vendor said when the delivery was processed). A request with no archived answer gets a 404, so the
 * adapter fails fast instead of retrying.
 */
export function createArchivedResponsesFetch(
  responses: readonly OpenedRetrievalResponse[],
  beforeSequence: number,
): (input: Request, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const url = new URL(input.url)
    const method = (init?.method ?? input.method).toUpperCase()
    const path = `${url.pathname}${url.search}`
    let answer: OpenedRetrievalResponse | undefined
    for (const response of responses) {
      if (response.payload.sequence >= beforeSequence || response.method !== method || response.url !== path)
        continue
      if (answer === undefined || response.payload.sequence > answer.payload.sequence) answer = response
    }
    if (answer === undefined) {
      return Response.json({ errors: [{ title: 'not in the raw archive' }] }, { status: 404 })
    }
    return new Response(answer.body.slice(), { status: answer.status, headers: answer.headers })
  }
}
