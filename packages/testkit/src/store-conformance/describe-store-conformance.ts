import {
  type AuditEntry,
  type AuditEntryInput,
  applyVerificationUpdate,
  auditChainFor,
  compareVerificationProgress,
  genesisAuditHash,
  isKycError,
  type KycErrorCode,
  type KycStore,
  type KycStoreTransaction,
  type Verification,
  type VerificationQuery,
  verifyAuditChain,
} from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { describeRawArchiveTests } from './raw-archive-tests.js'

/**
 * Optional back doors into the backend, for the tests no contract method can drive: tampering with the
 * stored audit log, corrupting a stored row, and the application's own rows written through the
 * transaction handle. A store that offers them is tested on them; each test needing one is only
 * registered when it is given (the report shows which ran).
 */
export type StoreBackDoors<Handle> = {
  /** Changes one field of a stored audit row in place (for example `UPDATE audit SET action = …`). */
  changeAuditEntry?: (store: KycStore<Handle>, sequence: number) => Promise<void>
  /** Deletes one stored audit row. */
  removeAuditEntry?: (store: KycStore<Handle>, sequence: number) => Promise<void>
  /** Overwrites a verification's stored state with something that is not a `Verification`. */
  corruptVerification?: (store: KycStore<Handle>, key: { provider: string; id: string }) => Promise<void>
  /** Writes one application row through the transaction's own handle. */
  writeApplicationRow?: (handle: Handle, key: string) => Promise<void>
  /** Whether that application row exists (committed). */
  hasApplicationRow?: (store: KycStore<Handle>, key: string) => Promise<boolean>
}

/** Options for {@link describeStoreConformance}. */
export type StoreConformanceOptions<Handle> = {
  /** Names the suite in the report: `store conformance: NAME`. */
  name: string
  /** A fresh, empty store. Called once per test. */
  createStore: () => KycStore<Handle> | Promise<KycStore<Handle>>
  /** Disposes of a store after its test. Default: `store.close?.()`. */
  destroyStore?: (store: KycStore<Handle>) => Promise<void>
  /** See {@link StoreBackDoors}. */
  backDoors?: StoreBackDoors<Handle>
  /**
   * The lease used by the lease-expiry tests, in milliseconds; they wait a little longer than this in
   * real time (stores use their own clock, for example PostgreSQL's `now()`). Default 150.
   */
  shortLeaseMs?: number
  /** How many concurrent callers the race tests use. Default 16. */
  concurrency?: number
  /**
   * How many interleaved audit hash chains the store keeps (entries name their `chain` when more than
   * one; see `auditChainFor`). Default 1.
   */
  auditChains?: number
  /** Per-test timeout. Default 30 s. */
  timeoutMs?: number
  /**
   * The store keeps the opt-in raw archive (`store.archive`): its tests are registered. Default false,
   * so stores written before the archive existed keep conforming.
   */
  rawArchive?: boolean
  /**
   * The store's transactions have the optional `claimEvent` (claims inside the transaction). When
   * true its tests are registered; either way a test checks the declaration matches the store.
   */
  claimsInTransaction?: boolean
}

const provider = 'conformance'

/** A forward sequence of states of one verification, oldest first: each strictly ahead of the one before. */
function forwardStates(id: string): Verification[] {
  const at = (minute: number) => new Date(Date.UTC(2025, 5, 1, 8, minute)).toISOString()
  const base: Verification = {
    id,
    provider,
    reference: { verificationId: id },
    status: 'created',
    checks: [],
    credentials: [],
    createdAt: at(0),
    updatedAt: at(0),
    raw: { status: 'created' },
  }
  return [
    base,
    { ...base, status: 'in_progress', updatedAt: at(1), raw: { status: 'started' } },
    { ...base, status: 'in_progress', updatedAt: at(2), raw: { status: 'started' } },
    { ...base, status: 'submitted', updatedAt: at(3), raw: { status: 'submitted' } },
    {
      ...base,
      status: 'completed',
      decision: {
        outcome: 'review',
        reasons: [{ code: 'repeated_face' }],
        decidedBy: 'provider',
        raw: { status: 'review' },
      },
      updatedAt: at(4),
      completedAt: at(4),
      raw: { status: 'needs_review' },
    },
    {
      ...base,
      status: 'completed',
      decision: { outcome: 'approved', reasons: [], decidedBy: 'manual', raw: { status: 'approved' } },
      updatedAt: at(5),
      completedAt: at(5),
      raw: { status: 'approved' },
    },
  ]
}

function auditInput(verificationId: string, overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    provider,
    verificationId,
    eventId: `evt_${verificationId}`,
    eventType: 'verification.completed',
    action: 'state_changed',
    actor: 'provider',
    from: { status: 'submitted' },
    to: { status: 'completed', outcome: 'declined' },
    reasons: [{ code: 'face_mismatch', raw: 'selfie_comparison' }],
    ...overrides,
  }
}

/** Deterministic Fisher–Yates shuffle, so a failing order can be reproduced. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const result = [...items]
  let state = seed
  for (let index = result.length - 1; index > 0; index -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    const other = state % (index + 1)
    ;[result[index], result[other]] = [result[other]!, result[index]!]
  }
  return result
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the call to reject, and it resolved')
}

async function expectKycErrorCode(promise: Promise<unknown>, code: KycErrorCode): Promise<void> {
  const error = await rejection(promise)
  expect(isKycError(error), `expected a KycError with code ${code}, got ${String(error)}`).toBe(true)
  expect((error as { code: string }).code).toBe(code)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Changes a verification in every place a careless handler might: its status, nested vendor words,
 * identity and lists. A store may freeze what it hands out instead of copying it; the assignment
 * then throws a `TypeError`, which is just as good.
 */
function scribble(verification: Verification | undefined): void {
  if (verification === undefined) throw new Error('expected a verification to change')
  try {
    verification.status = 'cancelled'
    verification.raw.status = 'changed by the application'
    ;(verification.raw as { vendor?: { labels: string[] } }).vendor?.labels.push('added by the application')
    if (verification.identity !== undefined) verification.identity.firstName = 'Changed'
    verification.checks.push({
      kind: 'watchlist',
      outcome: 'failed',
      reasons: [],
      raw: { name: 'added by the application' },
    })
    verification.reference.added = 'by the application'
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
  }
}

/**
 * Registers the OpenKYC store conformance suite: what implementing `KycStore` means, as tests.
 * Every test gets a fresh store from `createStore` and disposes of it after, so tests run in any order
 * or alone. It covers the inbox (atomic claims under concurrency, leases that expire, completion
 * only on commit, release), forward-only state under concurrent upserts, transactions that roll
 * everything back (the application's writes too), the audit chain (concurrent appends, fidelity,
 * detection of a changed or removed row), key-value, and bad input refused with nothing written.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@openkyc/core'
 * import { describeStoreConformance } from '@openkyc/testkit/store-conformance'
 *
 * describeStoreConformance({ name: 'memory', createStore: () => createMemoryStore() })
 * ```
 */
export function describeStoreConformance<Handle>(options: StoreConformanceOptions<Handle>): void {
  const shortLeaseMs = options.shortLeaseMs ?? 150
  const concurrency = options.concurrency ?? 16
  const auditChains = options.auditChains ?? 1
  /** What `verifyAuditChain` reports as the head after `entry`. */
  const reportedHead = (entry: AuditEntry) =>
    auditChains === 1
      ? { sequence: entry.sequence, hash: entry.hash }
      : { sequence: entry.sequence, hash: entry.hash, chain: entry.chain, chainSequence: entry.chainSequence }
  /** The last entry of each chain: the heads a verifier records. */
  const chainTails = (entries: readonly AuditEntry[]) => [
    ...new Map(entries.map((entry) => [entry.chain ?? -1, reportedHead(entry)])).values(),
  ]
  const timeout = options.timeoutMs ?? 30_000
  const backDoors = options.backDoors ?? {}

  /** Runs `body` on a fresh store, disposing of it afterwards. */
  const withStore = (body: (store: KycStore<Handle>) => Promise<void>) => async () => {
    const store = await options.createStore()
    try {
      await body(store)
    } finally {
      await (options.destroyStore ? options.destroyStore(store) : store.close?.())
    }
  }
  const test = (name: string, body: (store: KycStore<Handle>) => Promise<void>) =>
    it(name, withStore(body), timeout)

  const claim = async (store: KycStore<Handle>, eventId: string, leaseMs = 60_000) => {
    const result = await store.inbox.claim({ provider, eventId, leaseMs })
    if (result.status !== 'claimed') throw new Error(`expected to claim ${eventId}, got ${result.status}`)
    return result.claim
  }
  const complete = (store: KycStore<Handle>, eventId: string) =>
    claim(store, eventId).then((held) => store.transaction((transaction) => transaction.completeClaim(held)))
  const apply = (store: KycStore<Handle>, update: Verification) =>
    store.transaction((transaction) => transaction.applyVerification(update))

  describe(`store conformance: ${options.name}`, () => {
    describe('inbox', () => {
      test('claims a new event, reports a live claim as busy, and a committed one as completed', async (store) => {
        const held = await claim(store, 'evt_1')
        expect(held).toMatchObject({ provider, eventId: 'evt_1' })
        expect(typeof held.token).toBe('string')
        expect(Date.parse(held.leaseExpiresAt)).toBeGreaterThan(Date.now() - 1_000)
        const busy = await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 60_000 })
        expect(busy.status).toBe('busy')
        await store.transaction((transaction) => transaction.completeClaim(held))
        expect((await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 60_000 })).status).toBe(
          'completed',
        )
        // Event ids are scoped by provider.
        expect(
          (await store.inbox.claim({ provider: 'other', eventId: 'evt_1', leaseMs: 60_000 })).status,
        ).toBe('claimed')
      })

      test('exactly one of many concurrent claims of one event wins', async (store) => {
        const results = await Promise.all(
          Array.from({ length: concurrency }, () =>
            store.inbox.claim({ provider, eventId: 'evt_race', leaseMs: 60_000 }),
          ),
        )
        expect(results.filter((result) => result.status === 'claimed')).toHaveLength(1)
        expect(results.filter((result) => result.status === 'busy')).toHaveLength(concurrency - 1)
      })

      test('a claim completes only if its transaction commits', async (store) => {
        const held = await claim(store, 'evt_1')
        const failure = new Error('handler failed')
        const error = await rejection(
          store.transaction(async (transaction) => {
            await transaction.completeClaim(held)
            throw failure
          }),
        )
        expect(error).toBe(failure)
        // Not completed: still held by the same claim until released.
        expect((await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 60_000 })).status).toBe('busy')
        await store.inbox.release(held)
        const again = await claim(store, 'evt_1')
        expect(again.token).not.toBe(held.token)
      })

      test('release ends a claim at once; releasing a lost or completed claim changes nothing', async (store) => {
        const first = await claim(store, 'evt_1')
        await store.inbox.release(first)
        const second = await claim(store, 'evt_1')
        await store.inbox.release(first) // stale: must not free the second claim
        expect((await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 60_000 })).status).toBe('busy')
        await store.transaction((transaction) => transaction.completeClaim(second))
        await store.inbox.release(second)
        expect((await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 60_000 })).status).toBe(
          'completed',
        )
      })

      test('an expired lease can be reclaimed, and the old holder can no longer complete', async (store) => {
        const crashed = await claim(store, 'evt_1', shortLeaseMs)
        await sleep(shortLeaseMs + 100)
        const reclaimed = await claim(store, 'evt_1')
        expect(reclaimed.token).not.toBe(crashed.token)
        await expectKycErrorCode(
          store.transaction((transaction) => transaction.completeClaim(crashed)),
          'store_conflict',
        )
        await store.transaction((transaction) => transaction.completeClaim(reclaimed))
        expect((await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 60_000 })).status).toBe(
          'completed',
        )
      })

      test('of concurrent transactions completing claims on one expired event, only the live holder commits', async (store) => {
        const expired = await claim(store, 'evt_1', shortLeaseMs)
        await sleep(shortLeaseMs + 100)
        const live = await claim(store, 'evt_1')
        const results = await Promise.allSettled(
          [expired, live].map((held) =>
            store.transaction(async (transaction) => {
              await transaction.keyValue.set('effects', held.token, 1)
              await transaction.completeClaim(held)
            }),
          ),
        )
        expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled'])
        expect(await store.keyValue.get('effects', expired.token)).toBeUndefined()
        expect(await store.keyValue.get('effects', live.token)).toBe(1)
      })
    })

    describe('claims inside a transaction (claimEvent)', () => {
      test(`declares claimEvent honestly (${options.claimsInTransaction === true ? 'declared' : 'not declared'})`, async (store) => {
        const present = await store.transaction(async (transaction) => transaction.claimEvent !== undefined)
        expect(present).toBe(options.claimsInTransaction === true)
      })
      if (options.claimsInTransaction !== true) return

      const claimInTransaction = (transaction: KycStoreTransaction<Handle>, eventId: string) =>
        transaction.claimEvent!({ provider, eventId })

      /**
       * Opens a transaction that claims `eventId` and stays open: resolves once the claim is taken, to
       * `commit`, which lets the transaction end and resolves once it committed.
       */
      const holdClaimOpen = async (store: KycStore<Handle>, eventId: string) => {
        let resume: () => void = () => {}
        const paused = new Promise<void>((resolve) => {
          resume = resolve
        })
        let claimed: () => void = () => {}
        const hasClaimed = new Promise<void>((resolve) => {
          claimed = resolve
        })
        const holder = store.transaction(async (transaction) => {
          expect((await claimInTransaction(transaction, eventId)).status).toBe('claimed')
          claimed()
          await paused
        })
        await hasClaimed
        return {
          commit: () => {
            resume()
            return holder
          },
        }
      }

      test('marks the event processed only when its transaction commits', async (store) => {
        const failure = new Error('handler failed')
        const error = await rejection(
          store.transaction(async (transaction) => {
            expect((await claimInTransaction(transaction, 'evt_1')).status).toBe('claimed')
            await transaction.keyValue.set('effects', 'evt_1', 1)
            throw failure
          }),
        )
        expect(error).toBe(failure)
        expect(await store.keyValue.get('effects', 'evt_1')).toBeUndefined()
        // Rolled back: unmarked, so the redelivery claims it at once.
        await store.transaction(async (transaction) => {
          expect((await claimInTransaction(transaction, 'evt_1')).status).toBe('claimed')
          await transaction.keyValue.set('effects', 'evt_1', 2)
        })
        expect(await store.keyValue.get('effects', 'evt_1')).toBe(2)
        expect(
          await store.transaction(
            async (transaction) => (await claimInTransaction(transaction, 'evt_1')).status,
          ),
        ).toBe('completed')
        expect((await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 60_000 })).status).toBe(
          'completed',
        )
        // Event ids are scoped by provider.
        expect(
          await store.transaction(
            async (transaction) =>
              (await transaction.claimEvent!({ provider: 'other', eventId: 'evt_1' })).status,
          ),
        ).toBe('claimed')
      })

      test('of many concurrent transactions claiming one event, exactly one does its work', async (store) => {
        const statuses = await Promise.all(
          Array.from({ length: concurrency }, (_, index) =>
            store.transaction(async (transaction) => {
              const { status } = await claimInTransaction(transaction, 'evt_race')
              if (status === 'claimed') await transaction.keyValue.set('effects', `run_${index}`, index)
              // Hold the claim a moment so the others meet it open.
              await sleep(20)
              return status
            }),
          ),
        )
        expect(statuses.filter((status) => status === 'claimed')).toHaveLength(1)
        expect(statuses.every((status) => ['claimed', 'busy', 'completed'].includes(status))).toBe(true)
        const effects = await Promise.all(
          Array.from({ length: concurrency }, (_, index) => store.keyValue.get('effects', `run_${index}`)),
        )
        expect(effects.filter((effect) => effect !== undefined)).toHaveLength(1)
      })

      test('an open claim is busy to others (or, one transaction at a time, completed once it commits)', async (store) => {
        const holder = await holdClaimOpen(store, 'evt_1')
        let committed = false
        const other = store
          .transaction(async (transaction) => (await claimInTransaction(transaction, 'evt_1')).status)
          .then((status) => ({ status, committed }))
        await Promise.race([other, sleep(100)])
        committed = true
        await holder.commit()
        const seen = await other
        expect(seen.status).toBe(seen.committed ? 'completed' : 'busy')
      })

      test('the transaction stays usable after a completed or busy answer: what follows commits, nothing is written for those', async (store) => {
        await complete(store, 'evt_done')
        const leased = await claim(store, 'evt_held')
        const states = forwardStates('v_usable')
        const answers = await store.transaction(async (transaction) => {
          const done = (await claimInTransaction(transaction, 'evt_done')).status
          const held = (await claimInTransaction(transaction, 'evt_held')).status
          const fresh = (
            await transaction.claimEvent!({
              provider,
              eventId: 'evt_new',
              verification: { provider, id: 'v_usable' },
            })
          ).status
          await transaction.applyVerification(states[3]!)
          await transaction.keyValue.set('effects', 'evt_new', 1)
          await transaction.appendAudit(auditInput('v_usable', { eventId: 'evt_new' }))
          return [done, held, fresh]
        })
        expect(answers).toEqual(['completed', 'busy', 'claimed'])
        expect(await store.verifications.get({ provider, id: 'v_usable' })).toEqual(states[3])
        expect(await store.keyValue.get('effects', 'evt_new')).toBe(1)
        expect((await collect(store.audit.read())).map((entry) => entry.eventId)).toEqual(['evt_new'])
        expect((await store.inbox.claim({ provider, eventId: 'evt_new', leaseMs: 60_000 })).status).toBe(
          'completed',
        )
        // Nothing was written for the busy event: its holder still holds it, and completes it.
        expect((await store.inbox.claim({ provider, eventId: 'evt_held', leaseMs: 60_000 })).status).toBe(
          'busy',
        )
        await store.transaction((transaction) => transaction.completeClaim(leased))
        expect((await store.inbox.claim({ provider, eventId: 'evt_held', leaseMs: 60_000 })).status).toBe(
          'completed',
        )
      })

      test('a transaction answered busy by another open transaction claims, writes and commits what follows', async (store) => {
        const holder = await holdClaimOpen(store, 'evt_1')
        const other = store.transaction(async (transaction) => {
          const first = (await claimInTransaction(transaction, 'evt_1')).status
          const second = (await claimInTransaction(transaction, 'evt_2')).status
          await transaction.keyValue.set('effects', 'evt_2', 1)
          return [first, second]
        })
        // A store running one transaction at a time answers the other only after the holder commits.
        await Promise.race([other, sleep(100)])
        await holder.commit()
        const [first, second] = await other
        expect(['busy', 'completed']).toContain(first)
        expect(second).toBe('claimed')
        expect(await store.keyValue.get('effects', 'evt_2')).toBe(1)
        expect((await store.inbox.claim({ provider, eventId: 'evt_2', leaseMs: 60_000 })).status).toBe(
          'completed',
        )
      })

      test('respects a live inbox.claim lease and takes over an expired one', async (store) => {
        const leased = await claim(store, 'evt_1', shortLeaseMs)
        expect(
          await store.transaction(
            async (transaction) => (await claimInTransaction(transaction, 'evt_1')).status,
          ),
        ).toBe('busy')
        await sleep(shortLeaseMs + 100)
        await store.transaction(async (transaction) => {
          expect((await claimInTransaction(transaction, 'evt_1')).status).toBe('claimed')
        })
        // The expired holder can no longer complete.
        await expectKycErrorCode(
          store.transaction((transaction) => transaction.completeClaim(leased)),
          'store_conflict',
        )
        expect((await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 60_000 })).status).toBe(
          'completed',
        )
      })

      test('claiming with the verification, then applying it, stays forward-only under concurrency', async (store) => {
        const states = forwardStates('v_race')
        const updates = shuffle(
          Array.from({ length: concurrency }, (_, index) => states[index % states.length]!),
          concurrency + 1,
        )
        const results = await Promise.all(
          updates.map((update, index) =>
            store.transaction(async (transaction) => {
              const { status } = await transaction.claimEvent!({
                provider,
                eventId: `evt_${index}`,
                verification: { provider, id: 'v_race' },
              })
              expect(status).toBe('claimed')
              return transaction.applyVerification(update)
            }),
          ),
        )
        for (const result of results) {
          if (result.previous !== undefined) {
            expect(compareVerificationProgress(result.verification, result.previous)).toBeGreaterThanOrEqual(
              0,
            )
          }
        }
        expect(results.filter((result) => result.applied && result.previous === undefined)).toHaveLength(1)
        expect(await store.verifications.get({ provider, id: 'v_race' })).toEqual(states.at(-1))
      })

      test('claiming with the update, then applying that same update, moves the state once and reports it', async (store) => {
        const key = { provider, id: 'v_claim_update' }
        const states = forwardStates(key.id)
        const process = (eventId: string, update: Verification) =>
          store.transaction(async (transaction) => {
            const { status } = await transaction.claimEvent!({ provider, eventId, verification: key, update })
            expect(status).toBe('claimed')
            return transaction.applyVerification(update)
          })
        const results = []
        for (const [index, state] of states.entries()) results.push(await process(`evt_${index}`, state))
        for (const [index, result] of results.entries()) {
          expect(result).toEqual({ previous: states[index - 1], verification: states[index], applied: true })
        }
        // A stale update given with its claim changes nothing, and says so.
        expect(await process('evt_stale', states[0]!)).toEqual({
          previous: states.at(-1),
          verification: states.at(-1),
          applied: false,
        })
        expect(await store.verifications.get(key)).toEqual(states.at(-1))
      })

      test('refuses an invalid claim with nothing written', async (store) => {
        for (const request of [
          { provider: '', eventId: 'evt_1' },
          { provider, eventId: '' },
          { provider, eventId: 'evt_1', verification: { provider, id: '' } },
          // An update must be of the verification the claim names.
          { provider, eventId: 'evt_1', update: forwardStates('v_1')[0] },
          {
            provider,
            eventId: 'evt_1',
            verification: { provider, id: 'v_2' },
            update: forwardStates('v_1')[0],
          },
        ]) {
          await expectKycErrorCode(
            store.transaction((transaction) => transaction.claimEvent!(request)),
            'invalid_request',
          )
        }
        expect((await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 60_000 })).status).toBe(
          'claimed',
        )
      })
    })

    describe('verification state', () => {
      test('applies updates forward-only, returning the previous and the resulting state', async (store) => {
        const states = forwardStates('v_1')
        const first = await apply(store, states[3]!)
        expect(first).toEqual({ previous: undefined, verification: states[3], applied: true })
        const stale = await apply(store, states[1]!)
        expect(stale).toEqual({ previous: states[3], verification: states[3], applied: false })
        const duplicate = await apply(store, states[3]!)
        expect(duplicate.applied).toBe(false)
        const ahead = await apply(store, states[5]!)
        expect(ahead).toEqual({ previous: states[3], verification: states[5], applied: true })
        expect(await store.verifications.get({ provider, id: 'v_1' })).toEqual(states[5])
        expect(await store.verifications.get({ provider: 'other', id: 'v_1' })).toBeUndefined()
      })

      test('stores exactly what applyVerificationUpdate returns (identity kept, redaction sticky)', async (store) => {
        const states = forwardStates('v_1')
        const withIdentity: Verification = {
          ...states[3]!,
          identity: { firstName: 'Conformance', lastName: 'Applicant' },
          session: { url: 'https://hosted.example.test/s/1' },
        }
        await apply(store, withIdentity)
        const { identity: _identity, session: _session, ...eventView } = states[4]!
        const expected = applyVerificationUpdate(withIdentity, eventView)
        expect((await apply(store, eventView)).verification).toEqual(expected)
        expect(await store.verifications.get({ provider, id: 'v_1' })).toEqual(expected)
        const redacted = { ...states[5]!, redactedAt: states[5]!.updatedAt }
        await apply(store, redacted)
        const after = await store.verifications.get({ provider, id: 'v_1' })
        expect(after?.identity).toBeUndefined()
        expect(after?.redactedAt).toBe(redacted.redactedAt)
      })

      test('concurrent upserts of one verification never move it backwards', async (store) => {
        const states = forwardStates('v_race')
        const updates = shuffle(
          Array.from({ length: concurrency }, (_, index) => states[index % states.length]!),
          concurrency,
        )
        const results = await Promise.all(updates.map((update) => apply(store, update)))
        for (const result of results) {
          if (result.previous !== undefined) {
            expect(compareVerificationProgress(result.verification, result.previous)).toBeGreaterThanOrEqual(
              0,
            )
          }
        }
        // Each upsert saw the one before it: the observed states form one forward chain.
        const moves = results.filter((result) => result.applied)
        expect(moves.filter((result) => result.previous === undefined)).toHaveLength(1)
        expect(await store.verifications.get({ provider, id: 'v_race' })).toEqual(states.at(-1))
      })

      test('keeps its own copy: changing what it took or handed out never changes the stored state', async (store) => {
        const states = forwardStates('v_copy')
        const nested = (state: Verification): Verification => ({
          ...structuredClone(state),
          identity: { firstName: 'Conformance', address: { country: 'DE' } },
          raw: { status: state.raw.status, vendor: { labels: ['first'] } },
        })
        const first = nested(states[3]!)
        const expectedFirst = structuredClone(first)
        const applied = await apply(store, first)
        scribble(first)
        scribble(applied.verification)
        expect(await store.verifications.get({ provider, id: 'v_copy' })).toEqual(expectedFirst)

        scribble(await store.verifications.get({ provider, id: 'v_copy' }))
        scribble((await store.verifications.find({ provider, limit: 10 })).verifications[0])
        const { identity: _identity, ...eventView } = nested(states[5]!)
        const expectedLast = applyVerificationUpdate(
          structuredClone(expectedFirst),
          structuredClone(eventView),
        )
        await store.transaction(async (transaction) => {
          scribble(await transaction.getVerification({ provider, id: 'v_copy' }))
          const moved = await transaction.applyVerification(eventView)
          scribble(eventView)
          scribble(moved.previous)
          scribble(moved.verification)
          expect(await transaction.getVerification({ provider, id: 'v_copy' })).toEqual(expectedLast)
        })
        expect(await store.verifications.get({ provider, id: 'v_copy' })).toEqual(expectedLast)
        // A stale update returns the stored state: changing that copy changes nothing either.
        scribble((await apply(store, nested(states[1]!))).verification)
        expect(await store.verifications.get({ provider, id: 'v_copy' })).toEqual(expectedLast)
      })

      test('a transaction reads its own writes; others see them only after commit', async (store) => {
        const states = forwardStates('v_1')
        let resume: () => void = () => {}
        const paused = new Promise<void>((resolve) => {
          resume = resolve
        })
        let written: () => void = () => {}
        const hasWritten = new Promise<void>((resolve) => {
          written = resolve
        })
        const open = store.transaction(async (transaction) => {
          await transaction.applyVerification(states[2]!)
          expect(await transaction.getVerification({ provider, id: 'v_1' })).toEqual(states[2])
          written()
          await paused
        })
        await hasWritten
        // A single-connection store may make this read wait for the commit; either way it never
        // sees the uncommitted state before the commit.
        let resumed = false
        const outside = store.verifications.get({ provider, id: 'v_1' }).then((value) => ({ value, resumed }))
        await Promise.race([outside, sleep(50)])
        resumed = true
        resume()
        await open
        const seen = await outside
        if (!seen.resumed) expect(seen.value).toBeUndefined()
        expect(await store.verifications.get({ provider, id: 'v_1' })).toEqual(states[2])
      })
    })

    describe('finding verifications (reconciler, retention, erasure)', () => {
      const ids = (page: { verifications: Verification[] }) =>
        page.verifications.map((verification) => `${verification.provider}/${verification.id}`)
      const seed = async (store: KycStore<Handle>) => {
        const [created, started, , submitted, review, approved] = forwardStates('v_a')
        const rows: Verification[] = [
          { ...started!, id: 'v_a', reference: { verificationId: 'v_a' }, subjectReference: 'subject-1' },
          { ...approved!, id: 'v_b', reference: { verificationId: 'v_b' }, subjectReference: 'subject-1' },
          {
            ...review!,
            id: 'v_c',
            provider: 'other',
            reference: { verificationId: 'v_c' },
            subjectReference: 'subject-1',
            redactedAt: review!.updatedAt,
          },
          { ...submitted!, id: 'v_d', reference: { verificationId: 'v_d' }, subjectReference: 'subject-2' },
          { ...created!, id: 'v_e', reference: { verificationId: 'v_e' }, status: 'expired' },
        ]
        for (const row of rows) await apply(store, row)
      }

      test('filters by provider, subject, status, outcome and redaction, in (provider, id) order', async (store) => {
        await seed(store)
        const find = async (query: Omit<VerificationQuery, 'limit'>) =>
          ids(await store.verifications.find({ ...query, limit: 100 }))
        expect(await find({})).toEqual([
          'conformance/v_a',
          'conformance/v_b',
          'conformance/v_d',
          'conformance/v_e',
          'other/v_c',
        ])
        expect(await find({ subjectReference: 'subject-1' })).toEqual([
          'conformance/v_a',
          'conformance/v_b',
          'other/v_c',
        ])
        expect(await find({ subjectReference: 'subject-1', provider: 'other' })).toEqual(['other/v_c'])
        expect(await find({ statuses: ['created', 'in_progress', 'submitted'] })).toEqual([
          'conformance/v_a',
          'conformance/v_d',
        ])
        expect(await find({ outcomes: ['approved', 'declined'] })).toEqual(['conformance/v_b'])
        expect(await find({ outcomes: ['review'] })).toEqual(['other/v_c'])
        expect(await find({ redacted: true })).toEqual(['other/v_c'])
        expect(await find({ redacted: false, statuses: ['completed'] })).toEqual(['conformance/v_b'])
        expect(await find({ subjectReference: 'nobody' })).toEqual([])
        // Whole states come back, as `get` returns them.
        const [first] = (await store.verifications.find({ subjectReference: 'subject-2', limit: 1 }))
          .verifications
        expect(first).toEqual(await store.verifications.get({ provider, id: 'v_d' }))
      })

      test('settledBefore compares completedAt, or updatedAt when there is none', async (store) => {
        await seed(store)
        // v_b completed at 08:05; v_c (review) at 08:04; v_a, v_d, v_e have no completedAt.
        const settled = async (instant: string) =>
          ids(await store.verifications.find({ settledBefore: instant, limit: 100 }))
        expect(await settled('2025-06-01T08:00:00.000Z')).toEqual([])
        expect(await settled('2025-06-01T08:00:00.001Z')).toEqual(['conformance/v_e'])
        expect(await settled('2025-06-01T08:04:30.000Z')).toEqual([
          'conformance/v_a',
          'conformance/v_d',
          'conformance/v_e',
          'other/v_c',
        ])
        expect(await settled('2025-06-01T10:05:00+02:00')).toHaveLength(4)
        expect(await settled('2025-06-01T08:05:00.001Z')).toHaveLength(5)
      })

      test('unchangedForMs counts from the commit that last moved the state, by the store clock', async (store) => {
        const states = forwardStates('v_idle')
        await apply(store, states[1]!)
        const idle = async (ms: number) =>
          ids(await store.verifications.find({ unchangedForMs: ms, limit: 10 }))
        expect(await idle(0)).toEqual(['conformance/v_idle'])
        expect(await idle(3_600_000)).toEqual([])
        await sleep(shortLeaseMs + 100)
        expect(await idle(shortLeaseMs)).toEqual(['conformance/v_idle'])
        // A stale or duplicate update moves nothing, so it does not reset the clock.
        expect((await apply(store, states[0]!)).applied).toBe(false)
        expect(await idle(shortLeaseMs)).toEqual(['conformance/v_idle'])
        // A forward move does.
        expect((await apply(store, states[3]!)).applied).toBe(true)
        expect(await idle(shortLeaseMs)).toEqual([])
      })

      test('pages cover every match exactly once; the last page has no next', async (store) => {
        const base = forwardStates('v_page')[1]!
        const expected: string[] = []
        for (let index = 0; index < 25; index += 1) {
          const id = `v_${String(index).padStart(2, '0')}`
          const owner = index % 3 === 0 ? 'other' : provider
          await apply(store, { ...base, id, provider: owner, reference: { verificationId: id } })
          expected.push(`${owner}/${id}`)
        }
        expected.sort()
        for (const limit of [1, 5, 7, 25, 1000]) {
          const seen: string[] = []
          let after: { provider: string; id: string } | undefined
          let pages = 0
          do {
            const page = await store.verifications.find({ limit, ...(after === undefined ? {} : { after }) })
            expect(page.verifications.length).toBeLessThanOrEqual(limit)
            seen.push(...ids(page))
            after = page.next
            pages += 1
          } while (after !== undefined && pages < 100)
          expect(seen).toEqual(expected)
          expect(pages).toBe(Math.max(1, Math.ceil(25 / limit)))
        }
      })
    })

    describe('transactions', () => {
      test('a failing transaction rolls back everything and rethrows the same error', async (store) => {
        const held = await claim(store, 'evt_1')
        const failure = new Error('the application handler failed')
        const applicationRows = backDoors.writeApplicationRow
        const error = await rejection(
          store.transaction(async (transaction: KycStoreTransaction<Handle>) => {
            await transaction.applyVerification(forwardStates('v_1')[3]!)
            await transaction.appendAudit(auditInput('v_1'))
            await transaction.keyValue.set('app', 'row', { saved: true })
            if (applicationRows) await applicationRows(transaction.handle, 'row_1')
            await transaction.completeClaim(held)
            throw failure
          }),
        )
        expect(error).toBe(failure)
        expect(await store.verifications.get({ provider, id: 'v_1' })).toBeUndefined()
        expect(await collect(store.audit.read())).toEqual([])
        expect(await store.audit.head()).toBeUndefined()
        expect(await store.keyValue.get('app', 'row')).toBeUndefined()
        if (backDoors.hasApplicationRow) expect(await backDoors.hasApplicationRow(store, 'row_1')).toBe(false)
        expect((await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 60_000 })).status).toBe('busy')
      })

      test('a committed transaction keeps everything, the application rows too', async (store) => {
        const held = await claim(store, 'evt_1')
        const result = await store.transaction(async (transaction: KycStoreTransaction<Handle>) => {
          await transaction.applyVerification(forwardStates('v_1')[3]!)
          const entry = await transaction.appendAudit(auditInput('v_1'))
          await transaction.keyValue.set('app', 'row', { saved: true })
          if (backDoors.writeApplicationRow) await backDoors.writeApplicationRow(transaction.handle, 'row_1')
          await transaction.completeClaim(held)
          return entry.sequence
        })
        expect(result).toBe(1)
        expect((await store.verifications.get({ provider, id: 'v_1' }))?.status).toBe('submitted')
        expect(await collect(store.audit.read())).toHaveLength(1)
        expect(await store.keyValue.get('app', 'row')).toEqual({ saved: true })
        if (backDoors.hasApplicationRow) expect(await backDoors.hasApplicationRow(store, 'row_1')).toBe(true)
        expect((await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 60_000 })).status).toBe(
          'completed',
        )
      })

      test('an aborted signal keeps a transaction from starting', async (store) => {
        const controller = new AbortController()
        const reason = new Error('caller gave up')
        controller.abort(reason)
        let ran = false
        const error = await rejection(
          store.transaction(
            async () => {
              ran = true
            },
            { signal: controller.signal },
          ),
        )
        expect(error).toBe(reason)
        expect(ran).toBe(false)
        // The store is still usable.
        await complete(store, 'evt_after')
      })
    })

    describe('audit log', () => {
      test('chains appended entries, reads them back exactly, and verifies', async (store) => {
        const appended: AuditEntry[] = []
        for (const id of ['v_1', 'v_2', 'v_1']) {
          appended.push(await store.transaction((transaction) => transaction.appendAudit(auditInput(id))))
        }
        appended.push(
          await store.transaction((transaction) =>
            transaction.appendAudit({
              provider,
              verificationId: 'v_3',
              action: 'configuration',
              actor: 'application',
              reasons: [],
            }),
          ),
        )
        const sequences = appended.map((entry) => entry.sequence)
        expect(sequences).toEqual([...sequences].sort((left, right) => left - right))
        expect(new Set(sequences).size).toBe(4)
        if (auditChains === 1) {
          expect(sequences).toEqual([1, 2, 3, 4])
          expect(appended.every((entry) => entry.chain === undefined)).toBe(true)
        } else {
          for (const entry of appended)
            expect(entry.chain).toBe(auditChainFor(entry.verificationId, auditChains))
        }
        // Each entry links to the entry before it in its own chain.
        for (const [index, entry] of appended.entries()) {
          const before = appended.slice(0, index).findLast((earlier) => earlier.chain === entry.chain)
          expect(entry.previousHash).toBe(before?.hash ?? genesisAuditHash)
        }
        expect(await collect(store.audit.read())).toEqual(appended)
        expect(await store.audit.head()).toEqual(appended[3])
        expect(await collect(store.audit.read({ verificationId: 'v_1' }))).toEqual([appended[0], appended[2]])
        expect(await collect(store.audit.read({ afterSequence: appended[1]!.sequence, limit: 1 }))).toEqual([
          appended[2],
        ])
        const report = await verifyAuditChain(store.audit.read(), { expectedHead: chainTails(appended) })
        expect(report).toEqual({ valid: true, count: 4, head: reportedHead(appended[3]!) })
      })

      test('what read, head and appendAudit hand out cannot change the stored log', async (store) => {
        const appended = await store.transaction((transaction) => transaction.appendAudit(auditInput('v_1')))
        await store.transaction((transaction) => transaction.appendAudit(auditInput('v_2')))
        const before = await collect(store.audit.read())
        const expected = structuredClone(before)
        const head = await store.audit.head()
        // Whether a store hands out copies or frozen entries, a change must not reach the log: a frozen
        // entry refuses the write (it throws in strict code), a copy takes it and the log stays as it was.
        const attempt = (change: () => void) => {
          try {
            change()
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError)
          }
        }
        attempt(() => {
          ;(before[0] as { action: string }).action = 'review'
        })
        attempt(() => {
          before[0]!.reasons.push({ code: 'other' })
        })
        attempt(() => {
          ;(head as { verificationId: string }).verificationId = 'changed'
        })
        attempt(() => {
          ;(appended as { hash: string }).hash = genesisAuditHash
        })
        expect(await collect(store.audit.read())).toEqual(expected)
        expect(await store.audit.head()).toEqual(expected[1])
        expect(
          await verifyAuditChain(store.audit.read(), { expectedHead: chainTails(expected) }),
        ).toMatchObject({
          valid: true,
          count: 2,
        })
      })

      test('concurrent appends form unbroken chains', async (store) => {
        await Promise.all(
          Array.from({ length: concurrency }, (_, index) =>
            store.transaction((transaction) => transaction.appendAudit(auditInput(`v_${index}`))),
          ),
        )
        const entries = await collect(store.audit.read())
        if (auditChains === 1) {
          expect(entries.map((entry) => entry.sequence)).toEqual(
            Array.from({ length: concurrency }, (_, index) => index + 1),
          )
        }
        expect(new Set(entries.map((entry) => entry.sequence)).size).toBe(concurrency)
        expect(await verifyAuditChain(entries, { expectedHead: chainTails(entries) })).toMatchObject({
          valid: true,
          count: concurrency,
        })
      })

      test('a changed or removed entry of any chain read back from the store fails verification', async (store) => {
        for (let round = 0; round < 3; round += 1) {
          for (const id of ['v_1', 'v_2', 'v_3', 'v_4', 'v_5', 'v_6']) {
            await store.transaction((transaction) => transaction.appendAudit(auditInput(id)))
          }
        }
        const entries = await collect(store.audit.read())
        const heads = chainTails(entries)
        expect(await verifyAuditChain(entries, { expectedHead: heads })).toMatchObject({ valid: true })
        for (const [index, target] of entries.entries()) {
          const changed = entries.map((entry) =>
            entry === target ? { ...entry, to: { status: 'completed', outcome: 'approved' } } : entry,
          )
          expect(await verifyAuditChain(changed, { expectedHead: heads })).toMatchObject({
            valid: false,
            sequence: target.sequence,
            problem: 'hash_mismatch',
          })
          const next = entries.slice(index + 1).find((entry) => entry.chain === target.chain)
          const removed = entries.filter((entry) => entry !== target)
          // A removed row inside a chain breaks it at the next row of that chain; a removed tail
          // misses the head the verifier recorded.
          expect(await verifyAuditChain(removed, { expectedHead: heads })).toMatchObject(
            next === undefined
              ? { valid: false, sequence: target.sequence, problem: 'head_mismatch' }
              : { valid: false, sequence: next.sequence, problem: 'sequence_gap' },
          )
        }
      })

      if (backDoors.changeAuditEntry) {
        const changeAuditEntry = backDoors.changeAuditEntry
        test('a row changed in storage fails verification', async (store) => {
          for (const id of ['v_1', 'v_1', 'v_1']) {
            await store.transaction((transaction) => transaction.appendAudit(auditInput(id)))
          }
          const entries = await collect(store.audit.read())
          await changeAuditEntry(store, entries[1]!.sequence)
          expect(await verifyAuditChain(store.audit.read())).toMatchObject({
            valid: false,
            sequence: entries[1]!.sequence,
          })
        })
      }

      if (backDoors.removeAuditEntry) {
        const removeAuditEntry = backDoors.removeAuditEntry
        test('a row removed from storage fails verification', async (store) => {
          for (const id of ['v_1', 'v_1', 'v_1']) {
            await store.transaction((transaction) => transaction.appendAudit(auditInput(id)))
          }
          const entries = await collect(store.audit.read())
          await removeAuditEntry(store, entries[1]!.sequence)
          expect(await verifyAuditChain(store.audit.read())).toMatchObject({
            valid: false,
            sequence: entries[2]!.sequence,
          })
        })
      }
    })

    describe('key-value', () => {
      test('gets, sets, replaces and deletes JSON values by namespace and key', async (store) => {
        const value = { sessionId: 's_1', parts: ['front', 'back'], count: 2, done: false, note: null }
        await store.keyValue.set('jumio', 'upload:1', value)
        expect(await store.keyValue.get('jumio', 'upload:1')).toEqual(value)
        expect(await store.keyValue.get('routing', 'upload:1')).toBeUndefined()
        await store.keyValue.set('jumio', 'upload:1', 'replaced')
        expect(await store.keyValue.get('jumio', 'upload:1')).toBe('replaced')
        await store.keyValue.delete('jumio', 'upload:1')
        await store.keyValue.delete('jumio', 'upload:1')
        expect(await store.keyValue.get('jumio', 'upload:1')).toBeUndefined()
      })

      test('setIfAbsent: of concurrent callers exactly one value wins, and everyone gets it', async (store) => {
        const results = await Promise.all(
          Array.from({ length: concurrency }, (_, index) =>
            store.keyValue.setIfAbsent('routing', 'subject:1', { provider: `p${index}` }),
          ),
        )
        const stored = await store.keyValue.get('routing', 'subject:1')
        expect(stored).toBeDefined()
        for (const result of results) expect(result).toEqual(stored)
      })

      test('values with a time to live expire', async (store) => {
        await store.keyValue.set('jumio', 'short', 1, { ttlMs: shortLeaseMs })
        await store.keyValue.set('jumio', 'long', 2)
        expect(await store.keyValue.get('jumio', 'short')).toBe(1)
        await sleep(shortLeaseMs + 100)
        expect(await store.keyValue.get('jumio', 'short')).toBeUndefined()
        expect(await store.keyValue.get('jumio', 'long')).toBe(2)
        expect(await store.keyValue.setIfAbsent('jumio', 'short', 3)).toBe(3)
      })
    })

    describe('bad input is refused with a typed error, and nothing is written', () => {
      test('claims with an empty id or a bad lease', async (store) => {
        for (const request of [
          { provider, eventId: '', leaseMs: 1_000 },
          { provider: '', eventId: 'evt_1', leaseMs: 1_000 },
          { provider, eventId: 'evt_1', leaseMs: 0 },
          { provider, eventId: 'evt_1', leaseMs: 1.5 },
          { provider, eventId: 'x'.repeat(201), leaseMs: 1_000 },
        ]) {
          await expectKycErrorCode(store.inbox.claim(request), 'invalid_request')
        }
        expect((await store.inbox.claim({ provider, eventId: 'evt_1', leaseMs: 1_000 })).status).toBe(
          'claimed',
        )
      })

      test('a verification update that is not a Verification', async (store) => {
        const valid = forwardStates('v_1')[3]!
        const invalid = [
          { ...valid, status: 'approved' },
          { ...valid, id: '' },
          { ...valid, updatedAt: 'yesterday' },
          { id: 'v_1', provider },
        ] as unknown as Verification[]
        for (const update of invalid) await expectKycErrorCode(apply(store, update), 'invalid_request')
        expect(await store.verifications.get({ provider, id: 'v_1' })).toBeUndefined()
      })

      test('an audit entry with unknown fields (personal data cannot ride along) or bad values', async (store) => {
        const invalid = [
          { ...auditInput('v_1'), firstName: 'Wilhelmina' },
          { ...auditInput('v_1'), action: 'edited' },
          { ...auditInput('v_1'), actor: 'robot' },
          { ...auditInput('v_1'), to: { status: 'completed', outcome: 'declined', name: 'Wilhelmina' } },
          { ...auditInput('v_1'), verificationId: '' },
        ] as unknown as AuditEntryInput[]
        for (const entry of invalid) {
          const error = await rejection(store.transaction((transaction) => transaction.appendAudit(entry)))
          expect(isKycError(error) && error.code).toBe('invalid_request')
          expect(JSON.stringify(error)).not.toContain('Wilhelmina')
          expect((error as Error).message).not.toContain('Wilhelmina')
        }
        expect(await collect(store.audit.read())).toEqual([])
      })

      test('key-value writes that are not JSON, too large, or badly named', async (store) => {
        const cyclic: Record<string, unknown> = {}
        cyclic.self = cyclic
        const invalid: [string, string, unknown, { ttlMs?: number }?][] = [
          ['', 'key', 1],
          ['namespace', '', 1],
          ['namespace', 'key', undefined],
          ['namespace', 'key', () => 1],
          ['namespace', 'key', Number.NaN],
          ['namespace', 'key', cyclic],
          ['namespace', 'key', 'x'.repeat(70_000)],
          ['namespace', 'key', 1, { ttlMs: -5 }],
        ]
        for (const [namespace, key, value, setOptions] of invalid) {
          await expectKycErrorCode(
            store.keyValue.set(namespace, key, value as never, setOptions),
            'invalid_request',
          )
        }
        expect(await store.keyValue.get('namespace', 'key')).toBeUndefined()
      })

      test('a verification query that is malformed, or names an unknown filter', async (store) => {
        await apply(store, forwardStates('v_1')[1]!)
        const invalid = [
          {},
          { limit: 0 },
          { limit: 1001 },
          { limit: 1.5 },
          { limit: 10, subject: 'subject-1' },
          { limit: 10, statuses: [] },
          { limit: 10, statuses: ['approved'] },
          { limit: 10, outcomes: [] },
          { limit: 10, unchangedForMs: -1 },
          { limit: 10, settledBefore: 'yesterday' },
          { limit: 10, after: { provider } },
          { limit: 10, subjectReference: '' },
        ] as unknown as VerificationQuery[]
        for (const query of invalid) {
          await expectKycErrorCode(store.verifications.find(query), 'invalid_request')
        }
      })

      if (backDoors.corruptVerification) {
        const corruptVerification = backDoors.corruptVerification
        test('a corrupt stored verification is reported as KycStoreIntegrityError', async (store) => {
          await apply(store, forwardStates('v_1')[3]!)
          await corruptVerification(store, { provider, id: 'v_1' })
          await expectKycErrorCode(store.verifications.get({ provider, id: 'v_1' }), 'store_integrity')
        })
      }
    })
    if (options.rawArchive === true) describeRawArchiveTests(test)
  })
}
