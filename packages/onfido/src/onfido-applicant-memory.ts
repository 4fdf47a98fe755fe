/**
 * What one adapter instance knows of the API-channel applicants it created itself: their creation
 * time (from the create response, so no read is needed for it later) and whether a check was ever
 * requested for them from here.
 *
 * An applicant this instance created and has requested no check for cannot have a check yet (only
 * this API key's holder can start one, and the reference has not been submitted from here), so its
 * first submit may create the check without listing the applicant's checks first. Every other submit
 * (a repeat, a submit from another process or instance, after a restart, after the entry expired)
 * lists the checks first, so a repeated submit never starts a second paid check.
 *
 * Bounded: at most `maxEntries` applicants, each for `ttlMs`; the oldest go first. Holds ids and
 * timestamps only, never personal data.
 */
export type OnfidoApplicantMemory = {
  /** Notes an applicant this instance just created, with Onfido's `created_at`. */
  remember(applicantId: string, createdAt: string | null | undefined): void
  /** The remembered `created_at` (`null` when Onfido sent none), or `undefined` when not remembered. */
  createdAt(applicantId: string): string | null | undefined
  /**
   * Starts the applicant's first check through `create` when none was ever requested for it from
   * here, and returns that creation; returns `undefined` (starting nothing) otherwise. From the call
   * on, the applicant counts as having a check, whatever the creation's outcome.
   */
  firstCheck<T>(applicantId: string, create: () => Promise<T>): Promise<T> | undefined
  /** Notes a check requested outside `firstCheck` (the adapter's own `checks.create`). */
  checkRequested(applicantId: string, creation: Promise<unknown>): void
  /** Settles once every check creation started here for the applicant has settled (never rejects). */
  settled(applicantId: string): Promise<void>
  /** Forgets an applicant (its data was deleted). */
  forget(applicantId: string): void
}

type Entry = {
  createdAt: string | null
  expiresAt: number
  /** Set once a check was requested for the applicant from here. */
  creation: Promise<unknown> | undefined
}

/**
 * Creates the memory of {@link OnfidoApplicantMemory}.
 *
 * @example
 * ```ts
 * const applicants = createOnfidoApplicantMemory({ now: Date.now })
 * applicants.remember(applicant.id, applicant.created_at)
 * const created = applicants.firstCheck(applicant.id, () => client.createCheck({ body }))
 * ```
 */
export function createOnfidoApplicantMemory(options: {
  now: () => number
  /** Default one hour: an API-channel verification is normally submitted within minutes. */
  ttlMs?: number
  /** Default 10,000. */
  maxEntries?: number
}): OnfidoApplicantMemory {
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000
  const maxEntries = options.maxEntries ?? 10_000
  const entries = new Map<string, Entry>()
  const live = (applicantId: string): Entry | undefined => {
    const entry = entries.get(applicantId)
    if (entry === undefined) return undefined
    if (entry.expiresAt > options.now()) return entry
    // Expired: a check creation still running keeps the entry, so `settled` can wait for it.
    if (entry.creation === undefined) entries.delete(applicantId)
    return entry.creation === undefined ? undefined : entry
  }
  return {
    remember(applicantId, createdAt) {
      entries.delete(applicantId)
      entries.set(applicantId, {
        createdAt: createdAt ?? null,
        expiresAt: options.now() + ttlMs,
        creation: undefined,
      })
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string)
    },
    createdAt(applicantId) {
      return live(applicantId)?.createdAt
    },
    firstCheck(applicantId, create) {
      const entry = live(applicantId)
      if (entry === undefined || entry.creation !== undefined || entry.expiresAt <= options.now()) {
        return undefined
      }
      const creation = create()
      entry.creation = creation
      return creation
    },
    checkRequested(applicantId, creation) {
      const entry = live(applicantId)
      if (entry === undefined) return
      const before = entry.creation
      entry.creation = before === undefined ? creation : Promise.allSettled([before, creation])
    },
    async settled(applicantId) {
      await Promise.allSettled([entries.get(applicantId)?.creation])
    },
    forget(applicantId) {
      entries.delete(applicantId)
    },
  }
}
