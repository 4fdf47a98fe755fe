import { randomFillSync } from 'node:crypto'

/**
 * The simulator's in-memory store. Every Persona object (inquiry, account, verification, event, case, list,
 * list item, importer, …) is kept in one JSON:API-shaped record with kebab-case attribute keys, so one
 * serializer, one paginator and one `include` resolver serve every route module.
 */

/** A JSON:API resource identifier, `{type, id}`. */
export type ResourceIdentifier = { type: string; id: string }

/** The `data` of one relationship: to-one (identifier or null) or to-many (array of identifiers). */
export type RelationshipData = ResourceIdentifier | null | ResourceIdentifier[]

/**
 * One stored Persona object. `attributes` use kebab-case keys (the canonical form; inflected on output),
 * except the values of `fields`, which keep the keys the template or caller defined. `createdAtMs` is the
 * simulator clock at creation; `sequence` breaks ties so "newest first" is stable.
 */
export type StoredResource = {
  type: string
  id: string
  /** Which collection holds the resource (e.g. every `verification/…` type lives in `verification`). */
  collection: string
  createdAtMs: number
  sequence: number
  attributes: Record<string, unknown>
  relationships: Record<string, RelationshipData>
  /** Simulator-only bookkeeping that is never serialized (scenario ids, session tokens, …). */
  internal: Record<string, unknown>
}

/** Fields accepted by {@link ResourceCollection.insert}; the store fills in ordering and defaults. */
export type NewResource = {
  type: string
  id: string
  createdAtMs: number
  attributes?: Record<string, unknown>
  relationships?: Record<string, RelationshipData>
  internal?: Record<string, unknown>
}

/** One named collection of resources with insertion order (newest first when listed). */
export class ResourceCollection {
  readonly #name: string
  readonly #state: PersonaState
  readonly #items = new Map<string, StoredResource>()

  constructor(name: string, state: PersonaState) {
    this.#name = name
    this.#state = state
  }

  /** Stores a new resource and registers it in the global id index (used by `include`). */
  insert(resource: NewResource): StoredResource {
    const stored: StoredResource = {
      type: resource.type,
      id: resource.id,
      collection: this.#name,
      createdAtMs: resource.createdAtMs,
      sequence: this.#state.nextSequence(),
      attributes: resource.attributes ?? {},
      relationships: resource.relationships ?? {},
      internal: resource.internal ?? {},
    }
    this.#items.set(stored.id, stored)
    this.#state.index(stored)
    return stored
  }

  /** The resource with this id, or undefined. */
  get(id: string): StoredResource | undefined {
    return this.#items.get(id)
  }

  /** Every resource, newest first (Persona's list order). */
  list(): StoredResource[] {
    return [...this.#items.values()].sort((left, right) => right.sequence - left.sequence)
  }

  /** Finds resources matching a predicate, newest first. */
  filter(predicate: (resource: StoredResource) => boolean): StoredResource[] {
    return this.list().filter(predicate)
  }

  /** Number of stored resources. */
  get size(): number {
    return this.#items.size
  }
}

/**
 * The whole simulated Persona organisation. Route modules get (or create) their collection by name with
 * {@link PersonaState.collection}; names used so far: `inquiry`, `inquiry-session`, `verification`,
 * `account`, `event`, `case`, `list`, `list-item`, `importer`, `document`, `selfie`.
 */
export class PersonaState {
  readonly #collections = new Map<string, ResourceCollection>()
  readonly #byId = new Map<string, StoredResource>()
  #sequence = 0

  /** Returns the named collection, creating it on first use. */
  collection(name: string): ResourceCollection {
    let collection = this.#collections.get(name)
    if (collection === undefined) {
      collection = new ResourceCollection(name, this)
      this.#collections.set(name, collection)
    }
    return collection
  }

  /** Looks up any resource by id, whatever its collection. */
  find(id: string): StoredResource | undefined {
    return this.#byId.get(id)
  }

  /** @internal Called by collections on insert. */
  index(resource: StoredResource): void {
    this.#byId.set(resource.id, resource)
  }

  /** @internal Monotonic counter for stable ordering. */
  nextSequence(): number {
    this.#sequence += 1
    return this.#sequence
  }
}

const idAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghijkmnopqrstuvwxyz'
const idLength = 24
/**
 * Random bytes for ids, filled 128 ids at a time: one call into the system's random source per id
 * cost more than the rest of the id (as `crypto.randomUUID` does, the bytes are fetched in bulk).
 */
const randomPool = new Uint8Array(idLength * 128)
let randomPoolOffset = randomPool.length

/**
 * Generates a Persona-style id: a type prefix and 24 random characters (`inq_…`, `act_…`, `ver_…`).
 * Callers must not parse ids; the prefix only helps humans reading logs.
 */
export function createPersonaId(prefix: string): string {
  if (randomPoolOffset + idLength > randomPool.length) {
    randomFillSync(randomPool)
    randomPoolOffset = 0
  }
  let suffix = ''
  for (let index = randomPoolOffset; index < randomPoolOffset + idLength; index += 1) {
    suffix += idAlphabet[randomPool[index]! % idAlphabet.length]
  }
  randomPoolOffset += idLength
  return `${prefix}_${suffix}`
}

/** Formats a millisecond timestamp as Persona does: ISO-8601 with milliseconds and `Z`. */
export function formatTimestamp(milliseconds: number): string {
  return new Date(milliseconds).toISOString()
}
