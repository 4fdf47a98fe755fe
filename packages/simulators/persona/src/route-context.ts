import {
  type EmitEventInput,
  type PersonaRouteContext,
  type PresenterRegistration,
  type PresentView,
  usesModernShape,
} from './context.js'
import { collectIncluded, defaultPresenter, type ResourceObject } from './json-api.js'
import { createPersonaId, formatTimestamp, PersonaState, type StoredResource } from './state.js'

/** Settings of {@link createPersonaRouteContext}. */
export type PersonaRouteContextSettings = {
  /** Simulator clock in epoch milliseconds. */
  now: () => number
  /** Called for every emitted event, after it is stored (webhook delivery plugs in here). */
  onEvent?: (event: StoredResource) => void
  /** An existing store, e.g. to share state between two apps; a fresh one by default. */
  state?: PersonaState
}

/** Event snapshot kept in `event.internal`: the subject and its included resources as they were. */
export type EventSnapshot = { subject: StoredResource; included: StoredResource[] }

const notPlainData = Symbol('not plain data')

/**
 * A deep copy of plain data (objects, arrays, strings, numbers, booleans, null); throws
 * `notPlainData` at anything else (a typed array, a date, a function) or below 64 levels (a cycle).
 */
function copyPlainData(value: unknown, depth: number): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') throw notPlainData
  if (typeof value !== 'object' || value === null) return value
  if (depth > 64) throw notPlainData
  const prototype = Object.getPrototypeOf(value)
  if (Array.isArray(value) && prototype === Array.prototype) {
    return value.map((item) => copyPlainData(item, depth + 1))
  }
  if (prototype !== Object.prototype && prototype !== null) throw notPlainData
  const copy: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) copy[key] = copyPlainData(item, depth + 1)
  return copy
}

/**
 * A deep copy of a stored resource for an event's snapshot. Resources are plain data, which this
 * copies directly: `structuredClone`'s serialization cost more than the rest of emitting an event.
 * A resource holding anything else is handed to `structuredClone` whole, as before (which throws for a
 * function or a symbol, as it always did here).
 */
function snapshotOf(resource: StoredResource): StoredResource {
  try {
    return copyPlainData(resource, 0) as StoredResource
  } catch (error) {
    if (error === notPlainData) return structuredClone(resource)
    throw error
  }
}

/**
 * Builds the shared context handed to every route module: store, clock, ids, presenters and event
 * emission. Events snapshot their subject when emitted, and render it per API version when read or
 * delivered, because Persona serializes webhook payloads with the webhook's own version and inflection.
 *
 * @example
 * const context = createPersonaRouteContext({ now: () => Date.now() })
 * registerCaseRoutes(app, context)
 */
export function createPersonaRouteContext(settings: PersonaRouteContextSettings): PersonaRouteContext {
  const state = settings.state ?? new PersonaState()
  const presenters = new Map<string, PresenterRegistration>()

  const context: PersonaRouteContext = {
    state,
    now: settings.now,
    newId: createPersonaId,
    registerPresenter(collection, registration) {
      presenters.set(collection, registration)
    },
    present(resource: StoredResource, view: PresentView): ResourceObject {
      const registration = presenters.get(resource.collection)
      return registration === undefined ? defaultPresenter(resource) : registration.present(resource, view)
    },
    emitEvent(input: EmitEventInput): StoredResource {
      const createdAtMs = settings.now()
      const included = collectIncluded(context, [input.resource], input.include ?? [])
      const snapshot: EventSnapshot = {
        subject: snapshotOf(input.resource),
        included: included.map((resource) => snapshotOf(resource)),
      }
      const event = state.collection('event').insert({
        type: 'event',
        id: createPersonaId('evt'),
        createdAtMs,
        attributes: {
          name: input.name,
          context: input.eventContext ?? {},
          'created-at': formatTimestamp(createdAtMs),
        },
        relationships: {},
        internal: { snapshot, objectId: input.resource.id },
      })
      settings.onEvent?.(event)
      return event
    },
  }

  context.registerPresenter('event', {
    present(event, view) {
      const snapshot = event.internal.snapshot as EventSnapshot
      const payload: { data: ResourceObject; included?: ResourceObject[] } = {
        data: context.present(snapshot.subject, view),
      }
      // The 2023-01-05 event schema has no `payload.included`; newer payloads may carry it.
      if (snapshot.included.length > 0 && usesModernShape(view.apiVersion)) {
        payload.included = snapshot.included.map((resource) => context.present(resource, view))
      }
      return {
        type: 'event',
        id: event.id,
        attributes: {
          name: event.attributes.name,
          payload,
          // `context` was added in 2026; the 2023-01-05 schema has no such attribute.
          ...(usesModernShape(view.apiVersion) ? { context: event.attributes.context } : {}),
          'created-at': event.attributes['created-at'],
        },
      }
    },
  })
  return context
}
