import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type AuditEntry,
  type AuditEntryInput,
  auditChainFor,
  chainAuditEntry,
  compareVerificationProgress,
  computeAuditHash,
  describeVerificationChanges,
  genesisAuditHash,
  KycInvalidRequestError,
  KycStoreIntegrityError,
  parseAuditEntryInput,
  parseStoredAuditEntry,
  serializeAuditEntry,
  verificationProgressKey,
  verifyAuditChain,
} from '../src/index.js'
import { forwardSequenceArbitrary, seededPii } from './fixtures.js'

const input: AuditEntryInput = {
  provider: 'persona',
  verificationId: 'inq_1',
  eventId: 'evt_1',
  eventType: 'verification.completed',
  action: 'state_changed',
  actor: 'provider',
  from: { status: 'submitted' },
  to: { status: 'completed', outcome: 'declined' },
  reasons: [{ code: 'face_mismatch', raw: 'selfie_comparison' }, { code: 'other' }],
}

function chain(length: number): AuditEntry[] {
  const entries: AuditEntry[] = []
  for (let index = 0; index < length; index++) {
    entries.push(
      chainAuditEntry(
        parseAuditEntryInput({ ...input, verificationId: `inq_${index}` }),
        entries.at(-1),
        new Date(Date.UTC(2025, 5, 1, 8, 0, index)),
      ),
    )
  }
  return entries
}

describe('the audit chain format', () => {
  it('serializes an entry canonically: a fixed-order JSON array, absent fields as null, UTC milliseconds', () => {
    const [first] = chain(1)
    const { hash: _hash, ...unhashed } = first!
    expect(serializeAuditEntry({ ...unhashed, recordedAt: '2025-06-01T10:00:00+02:00' })).toBe(
      JSON.stringify([
        'openkyc-audit-v1',
        1,
        genesisAuditHash,
        '2025-06-01T08:00:00.000Z',
        'persona',
        'inq_0',
        'evt_1',
        'verification.completed',
        'state_changed',
        'provider',
        'submitted',
        null,
        'completed',
        'declined',
        [
          ['face_mismatch', 'selfie_comparison'],
          ['other', null],
        ],
      ]),
    )
  })

  it('hashes with SHA-256 over that text (a fixed vector other stores can check against)', () => {
    const [first] = chain(1)
    const { hash, ...unhashed } = first!
    expect(hash).toBe(createHash('sha256').update(serializeAuditEntry(unhashed)).digest('hex'))
    expect(computeAuditHash(unhashed)).toBe(hash)
    // sha256 of the exact text in the test above, computed outside this code (`node -e`, `sha256sum`).
    expect(hash).toBe('0b2de8b095aaaa4038484c60c4daed221bd9e9a01ab5867ad79cf254fab9840f')
  })

  it('chains entries: sequence 1, 2, 3…, each previousHash the hash before', () => {
    const entries = chain(3)
    expect(entries.map((entry) => entry.sequence)).toEqual([1, 2, 3])
    expect(entries[0]?.previousHash).toBe(genesisAuditHash)
    expect(entries[2]?.previousHash).toBe(entries[1]?.hash)
  })
})

describe('verifyAuditChain', () => {
  it('accepts an intact chain, from an array or an async iterable', async () => {
    const entries = chain(4)
    expect(await verifyAuditChain(entries)).toEqual({
      valid: true,
      count: 4,
      head: { sequence: 4, hash: entries[3]!.hash },
    })
    async function* stream() {
      yield* entries
    }
    expect(await verifyAuditChain(stream(), { expectedHead: entries[3] })).toMatchObject({ valid: true })
    expect(await verifyAuditChain([])).toEqual({ valid: true, count: 0, head: undefined })
  })

  it.each([
    [
      'a changed field',
      (entries: AuditEntry[]) =>
        entries.map((entry, index) => (index === 1 ? { ...entry, actor: 'manual' } : entry)),
      2,
      'hash_mismatch',
    ],
    [
      'a changed reason',
      (entries: AuditEntry[]) =>
        entries.map((entry, index) => (index === 2 ? { ...entry, reasons: [] } : entry)),
      3,
      'hash_mismatch',
    ],
    [
      'a removed row',
      (entries: AuditEntry[]) => entries.filter((_, index) => index !== 1),
      3,
      'sequence_gap',
    ],
    [
      'reordered rows',
      (entries: AuditEntry[]) => [entries[0]!, entries[2]!, entries[1]!, entries[3]!],
      3,
      'sequence_gap',
    ],
    [
      'a row re-hashed after a change (its successor no longer links)',
      (entries: AuditEntry[]) =>
        entries.map((entry, index) => {
          if (index !== 1) return entry
          const { hash: _hash, ...changed } = { ...entry, actor: 'manual' as const }
          return { ...changed, hash: computeAuditHash(changed) }
        }),
      3,
      'broken_link',
    ],
    [
      'a foreign row',
      (entries: AuditEntry[]) => [entries[0]!, { sequence: 2, note: 'foreign' }],
      2,
      'invalid_entry',
    ],
    [
      'a row carrying personal data',
      (entries: AuditEntry[]) => [entries[0]!, { ...entries[1]!, firstName: seededPii.firstName }],
      2,
      'invalid_entry',
    ],
  ])('finds %s', async (_case, tamper, sequence, problem) => {
    expect(await verifyAuditChain(tamper(chain(4)) as unknown[])).toMatchObject({
      valid: false,
      sequence,
      problem,
    })
  })

  it('finds a removed tail only against a head kept elsewhere', async () => {
    const entries = chain(4)
    expect(await verifyAuditChain(entries.slice(0, 3))).toMatchObject({ valid: true })
    expect(await verifyAuditChain(entries.slice(0, 3), { expectedHead: entries[3] })).toMatchObject({
      valid: false,
      problem: 'head_mismatch',
    })
  })

  it('verifies a pruned log from the entry before its first', async () => {
    const entries = chain(4)
    expect(await verifyAuditChain(entries.slice(2), { startAfter: entries[1] })).toMatchObject({
      valid: true,
      count: 2,
    })
    expect(await verifyAuditChain(entries.slice(2), { startAfter: entries[0] })).toMatchObject({
      valid: false,
    })
  })
})

/** A log of `chains` interleaved chains, `length` entries for verifications inq_0, inq_1… in turn. */
function interleaved(length: number, chains: number, verifications = 5): AuditEntry[] {
  const entries: AuditEntry[] = []
  for (let index = 0; index < length; index++) {
    const verificationId = `inq_${index % verifications}`
    const chainKey = auditChainFor(verificationId, chains)
    entries.push(
      chainAuditEntry(
        parseAuditEntryInput({ ...input, verificationId }),
        entries.findLast((entry) => entry.chain === chainKey),
        new Date(Date.UTC(2025, 5, 1, 8, 0, index)),
        { chain: chainKey, sequence: 10 * (index + 1) },
      ),
    )
  }
  return entries
}

describe('several interleaved audit chains', () => {
  it('puts a verification in one chain, the same in every store: SHA-256 prefix modulo the chain count', () => {
    const digest = createHash('sha256').update('inq_1', 'utf8').digest()
    expect(auditChainFor('inq_1', 16)).toBe(digest.readUInt32BE(0) % 16)
    expect(auditChainFor('inq_1', 1)).toBe(0)
    const spread = new Set(Array.from({ length: 200 }, (_, index) => auditChainFor(`inq_${index}`, 16)))
    expect(spread.size).toBe(16)
    expect(() => auditChainFor('inq_1', 0)).toThrow(RangeError)
  })

  it('hashes a chained entry in format v2, covering its chain and place in it but not the store-wide cursor', () => {
    const [entry] = interleaved(1, 16)
    const { hash, ...unhashed } = entry!
    expect(JSON.parse(serializeAuditEntry(unhashed)).slice(0, 4)).toEqual([
      'openkyc-audit-v2',
      auditChainFor('inq_0', 16),
      1,
      genesisAuditHash,
    ])
    expect(computeAuditHash({ ...unhashed, sequence: 99 })).toBe(hash)
    expect(computeAuditHash({ ...unhashed, chain: (unhashed.chain! + 1) % 16 })).not.toBe(hash)
    expect(computeAuditHash({ ...unhashed, chainSequence: 2 })).not.toBe(hash)
  })

  it('verifies every chain, and finds a changed or removed row in any of them', async () => {
    const entries = interleaved(30, 4)
    expect(new Set(entries.map((entry) => entry.chain)).size).toBeGreaterThan(1)
    const heads = [...new Map(entries.map((entry) => [entry.chain, entry])).values()]
    expect(await verifyAuditChain(entries, { expectedHead: heads })).toMatchObject({ valid: true, count: 30 })
    for (const [index, target] of entries.entries()) {
      const changed = entries.map((entry) => (entry === target ? { ...entry, actor: 'manual' } : entry))
      expect(await verifyAuditChain(changed, { expectedHead: heads })).toMatchObject({
        valid: false,
        sequence: target.sequence,
        problem: 'hash_mismatch',
      })
      const next = entries.slice(index + 1).find((entry) => entry.chain === target.chain)
      expect(
        await verifyAuditChain(
          entries.filter((entry) => entry !== target),
          { expectedHead: heads },
        ),
      ).toMatchObject({
        valid: false,
        sequence: next?.sequence ?? target.sequence,
        problem: next === undefined ? 'head_mismatch' : 'sequence_gap',
      })
    }
  })

  it('finds rows moved to another chain, reordered, or missing their place', async () => {
    const entries = interleaved(10, 4)
    const moved = entries.map((entry, index) =>
      index === 6 ? { ...entry, chain: ((entry.chain ?? 0) + 1) % 4 } : entry,
    )
    expect(await verifyAuditChain(moved)).toMatchObject({ valid: false, sequence: entries[6]!.sequence })
    const swapped = [...entries]
    ;[swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!]
    expect(await verifyAuditChain(swapped)).toMatchObject({ valid: false })
    const { chainSequence: _dropped, ...placeless } = entries[0]!
    expect(await verifyAuditChain([placeless])).toMatchObject({ valid: false, problem: 'invalid_entry' })
  })

  it('verifies a one-chain log followed by chained entries (a log upgraded in place)', async () => {
    const legacy = chain(3)
    const chained = interleaved(6, 4).map((entry, index) => ({ ...entry, sequence: 100 + index }))
    // The cursor is not hashed, so renumbering it keeps the chained entries valid.
    expect(await verifyAuditChain([...legacy, ...chained], { expectedHead: legacy[2] })).toMatchObject({
      valid: true,
      count: 9,
    })
  })
})

describe('parsing audit entries', () => {
  it('refuses input with unknown fields, naming paths and never values', () => {
    const error = (() => {
      try {
        parseAuditEntryInput({ ...input, lastName: seededPii.lastName })
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect(JSON.stringify(error)).not.toContain(seededPii.lastName)
  })

  it('reports a corrupt stored row as KycStoreIntegrityError with its sequence', () => {
    expect(() => parseStoredAuditEntry({ ...chain(1)[0], action: 'edited' })).toThrow(KycStoreIntegrityError)
    expect(() => parseStoredAuditEntry({ ...chain(1)[0], action: 'edited' })).toThrow(/sequence 1/)
    expect(parseStoredAuditEntry(chain(1)[0])).toEqual(chain(1)[0])
  })
})

describe('verificationProgressKey', () => {
  it('orders as compareVerificationProgress does (property)', () => {
    fc.assert(
      fc.property(forwardSequenceArbitrary, fc.nat(), fc.nat(), (sequence, first, second) => {
        const a = sequence[first % sequence.length]!
        const b = sequence[second % sequence.length]!
        const [keyA, keyB] = [verificationProgressKey(a), verificationProgressKey(b)]
        const byKey = keyA < keyB ? -1 : keyA > keyB ? 1 : 0
        expect(byKey).toBe(Math.sign(compareVerificationProgress(a, b)))
      }),
    )
  })
})

describe('describeVerificationChanges', () => {
  it('names what an application acts on, and nothing else', () => {
    const [created] = fc.sample(forwardSequenceArbitrary, { numRuns: 1, seed: 7 })[0]!
    expect(describeVerificationChanges(undefined, created!)).toEqual(['status'])
    const later = { ...created!, updatedAt: '2030-01-01T00:00:00.000Z', raw: { status: 'other words' } }
    expect(describeVerificationChanges(created, later)).toEqual([])
    const declined = {
      ...created!,
      status: 'completed' as const,
      decision: {
        outcome: 'declined' as const,
        reasons: [{ code: 'face_mismatch' as const }],
        decidedBy: 'provider' as const,
        raw: { status: 'failed' },
      },
    }
    expect(describeVerificationChanges(created, declined)).toEqual(['status', 'outcome', 'reasons'])
    const sameReasonsOtherOrder = {
      ...declined,
      decision: {
        ...declined.decision,
        reasons: [{ code: 'face_mismatch' as const }],
        raw: { status: 'declined' },
      },
    }
    expect(describeVerificationChanges(declined, sameReasonsOtherOrder)).toEqual([])
    expect(
      describeVerificationChanges(declined, { ...declined, redactedAt: '2030-01-01T00:00:00.000Z' }),
    ).toEqual(['redaction'])
  })
})
