import type { PersonaApp, PersonaRouteContext } from './context.js'
import { readListFilter, readQuery, recordNotFound, sendList, sendResource } from './json-api.js'

/**
 * `GET /events` and `GET /events/{id}`: every emitted event, whether or not a webhook was subscribed,
 * with the documented filters (`filter[name]`, `filter[object-id]`, `filter[id]`, comma lists).
 *
 * @see docs/reference/persona-api.md §8
 */
export function registerEventRoutes(app: PersonaApp, context: PersonaRouteContext): void {
  const events = context.state.collection('event')
  app.get('/events', (c) => {
    const query = readQuery(c)
    const names = readListFilter(query, 'name')
    const objectIds = readListFilter(query, 'object-id')
    const ids = readListFilter(query, 'id')
    const list = events.filter(
      (event) =>
        (names === undefined || names.includes(String(event.attributes.name))) &&
        (objectIds === undefined || objectIds.includes(String(event.internal.objectId))) &&
        (ids === undefined || ids.includes(event.id)),
    )
    return sendList(c, context, list)
  })
  app.get('/events/:id', (c) => {
    const event = events.get(c.req.param('id'))
    if (event === undefined) throw recordNotFound()
    return sendResource(c, context, event)
  })
}
