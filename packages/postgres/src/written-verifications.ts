import type { VerificationKey } from '@openkyc/core'

/**
 * A verification state this process wrote and saw commit: the row version it left (`xmin`, the id of
 * the transaction that wrote the row) and the JSON text it wrote.
 */
export type WrittenVerification = {
  /** `xmin::text` of the row this process's transaction left. */
  readonly version: string
  /** The JSON text written to the row's `document` column. */
  readonly document: string
}

type Entry = WrittenVerification & { readonly expiresAt: number }

/**
 * How long an entry is trusted at most. The row version is a 32-bit transaction id, reused only after
 * about four billion transactions; an entry never lives long enough to meet its own id again.
 */
const entryLifetimeMs = 10 * 60 * 1000

/**
 * The verification states this process wrote recently, so the next event of the same verification
 * need not read its document back: the claim sends the version it knows, and the server returns the
 * document only when the row holds another version (another instance wrote it, someone changed it by
 * hand, it was deleted and written again). A hint only: every use is checked against the row's
 * version under the row lock. Bounded: the least recently used entries leave first.
 */
export type WrittenVerifications = {
  /** The state written for `key`, if this process knows one. */
  get(key: VerificationKey): WrittenVerification | undefined
  /** Records the committed state of `key`. */
  set(key: VerificationKey, written: WrittenVerification): void
  /** Forgets `key` (a write rolled back, or its outcome is unknown). */
  delete(key: VerificationKey): void
}

const keyOf = (key: VerificationKey) => `${key.provider}\u0000${key.id}`

/**
 * Creates the bounded cache of written states; `maxEntries` 0 keeps nothing.
 *
 * @example
 * ```ts
 * const written = createWrittenVerifications({ maxEntries: 1_000 })
 * written.set({ provider: 'persona', id: 'inq_1' }, { version: '734', document: '{…}' })
 * ```
 */
export function createWrittenVerifications(options: {
  maxEntries: number
  now?: () => number
}): WrittenVerifications {
  const { maxEntries } = options
  const now = options.now ?? Date.now
  const entries = new Map<string, Entry>()
  return {
    get(key) {
      const name = keyOf(key)
      const entry = entries.get(name)
      if (entry === undefined) return undefined
      entries.delete(name)
      if (entry.expiresAt <= now()) return undefined
      // Most recently used last: the first key in the map is the next to leave.
      entries.set(name, entry)
      return entry
    },
    set(key, written) {
      if (maxEntries === 0) return
      const name = keyOf(key)
      entries.delete(name)
      entries.set(name, {
        version: written.version,
        document: written.document,
        expiresAt: now() + entryLifetimeMs,
      })
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string)
    },
    delete(key) {
      entries.delete(keyOf(key))
    },
  }
}
