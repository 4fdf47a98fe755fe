/** One server-sent event. */
export type ServerSentEvent = { event: string; data: string }

/**
 * A minimal server-sent-events reader over `fetch` for tests: `next(name)` resolves with the next
 * event of that name (earlier events of other names are skipped and kept in `received`).
 */
export async function openEventStream(url: string) {
  const controller = new AbortController()
  const response = await fetch(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } })
  if (response.body === null) throw new Error('no event stream body')
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  const received: ServerSentEvent[] = []
  let buffer = ''
  let consumed = 0

  const readEvent = async (): Promise<ServerSentEvent> => {
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event = { event: 'message', data: '' }
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event.event = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
        }
        if (data.length === 0) continue // a comment (keep-alive)
        event.data = data.join('\n')
        received.push(event)
        return event
      }
      const { value, done } = await reader.read()
      if (done) throw new Error('the event stream ended')
      buffer += value
    }
  }

  return {
    response,
    received,
    /** The next event called `name`, parsed as JSON. */
    async next<T = unknown>(name: string): Promise<T> {
      for (;;) {
        const event = consumed < received.length ? received[consumed]! : await readEvent()
        consumed += 1
        if (event.event === name) return JSON.parse(event.data) as T
      }
    },
    close() {
      controller.abort()
    },
  }
}
