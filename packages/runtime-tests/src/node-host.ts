import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Serves a Web `fetch` handler with `node:http` on 127.0.0.1 (Node has no `serve` of its own). */
export async function serveOnNode(handler: (request: Request) => Promise<Response>): Promise<number> {
  const server = createServer((incoming, outgoing) => {
    respond(incoming, outgoing).catch(() => {
      // The handler answers its own failures; this is a broken connection: nothing left to say.
      outgoing.destroy()
    })
  })
  const respond = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Uint8Array[] = []
    for await (const chunk of incoming) chunks.push(chunk as Uint8Array)
    const headers = new Headers()
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (typeof value === 'string') headers.set(name, value)
    }
    const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD'
    const response = await handler(
      new Request(`http://127.0.0.1${incoming.url ?? '/'}`, {
        method: incoming.method ?? 'GET',
        headers,
        ...(hasBody ? { body: new Blob(chunks as BlobPart[]) } : {}),
      }),
    )
    outgoing.writeHead(response.status, Object.fromEntries(response.headers))
    outgoing.end(new Uint8Array(await response.arrayBuffer()))
  }
  // Node closes an idle keep-alive connection after 5 s; on a loaded machine the test's next request
  // can meet that close ("other side closed"). Bun's and Deno's servers keep theirs open longer.
  server.keepAliveTimeout = 120_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}
