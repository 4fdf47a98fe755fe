import type { Hono } from 'hono'
import type { PersonaKeyInflection } from './inflection.js'
import type { ResourceObject } from './json-api.js'
import type { PersonaState, StoredResource } from './state.js'

/**
 * The contract between the Persona app factory and its route modules. A route module exports
 * `register<Name>Routes(app: PersonaApp, context: PersonaRouteContext): void`, registers its handlers on the
 * `/api/v1`-based app, keeps its objects in `context.state.collection(name)`, registers a presenter for
 * each collection it owns, and emits events through `context.emitEvent`. Authentication, `Request-Id`,
 * rate limiting and idempotency are already done by middleware before a handler runs.
 */

/** API versions the simulator distinguishes; others are accepted and treated by date. */
export const personaApiVersions = [
  '2020-05-18',
  '2021-02-21',
  '2021-07-05',
  '2021-08-18',
  '2022-09-01',
  '2023-01-05',
  '2025-10-27',
  '2025-12-08',
] as const

/** The version where `included` stopped being returned by default and PII moved into `fields`. */
export const modernShapeVersion = '2025-10-27'

/** True for `Persona-Version` values that use the 2025-10-27+ response shapes. */
export function usesModernShape(apiVersion: string): boolean {
  return apiVersion >= modernShapeVersion
}

/** The Persona environment a request runs in, decided by the API key prefix. */
export type PersonaEnvironment = 'sandbox' | 'production'

/** What the middleware learned about the current request; read it with `c.get('persona')`. */
export type PersonaRequestInfo = {
  requestId: string
  /** `Persona-Version` header or the simulator's default version. */
  apiVersion: string
  /** `Key-Inflection` header or the default (`kebab`). */
  inflection: PersonaKeyInflection
  environment: PersonaEnvironment
}

/** Hono environment of the Persona app. */
export type PersonaEnv = { Variables: { persona: PersonaRequestInfo } }

/** The Hono app route modules register on; paths are relative to `/api/v1`. */
export type PersonaApp = Hono<PersonaEnv>

/** How a resource is rendered: the API version changes shapes (inflection is applied later, on output). */
export type PresentView = { apiVersion: string }

/** Renders a stored resource as a kebab-case JSON:API resource object for one API version. */
export type ResourcePresenter = (resource: StoredResource, view: PresentView) => ResourceObject

/** Presenter plus the relationships a retrieve returns in `included` by default before 2025-10-27. */
export type PresenterRegistration = {
  present: ResourcePresenter
  /** Relationship names included by default on retrieve for pre-2025-10-27 versions. */
  legacyDefaultIncludes?: readonly string[]
}

/** Input of {@link PersonaRouteContext.emitEvent}. */
export type EmitEventInput = {
  /** Documented event name, e.g. `inquiry.completed`, `case.created`, `list.import_completed`. */
  name: string
  /** The object the event is about; its current state is snapshotted into `payload.data`. */
  resource: StoredResource
  /** Extra `context` attributes (e.g. tags added for `*.updated-tags`). */
  eventContext?: Record<string, unknown>
  /** Relationship names whose resources are snapshotted into `payload.included`. */
  include?: readonly string[]
}

/** Everything a route module may use. */
export type PersonaRouteContext = {
  readonly state: PersonaState
  /** Simulator clock in epoch milliseconds (advanced by the harness clock, never by wall time alone). */
  now(): number
  /** A new Persona-style id with the given prefix (`case`, `lst`, `mprt`, …). */
  newId(prefix: string): string
  /** Registers the presenter for a collection (`context.state.collection(name)`). */
  registerPresenter(collection: string, registration: PresenterRegistration): void
  /** Renders a resource for a view using its collection's presenter (or the default one). */
  present(resource: StoredResource, view: PresentView): ResourceObject
  /** Records an event (`GET /events`) and hands it to webhook delivery. Returns the stored event. */
  emitEvent(input: EmitEventInput): StoredResource
}
