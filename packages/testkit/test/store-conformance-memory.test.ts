import {
  createMemoryStore,
  type InboxClaim,
  type KycStore,
  parseTransactionClaimRequest,
} from '@openkyc/core'
import { describeStoreConformance } from '../src/store-conformance/index.js'

describeStoreConformance({ name: 'memory', createStore: () => createMemoryStore(), rawArchive: true })

describeStoreConformance({
  name: 'memory, 4 audit chains',
  createStore: () => createMemoryStore({ auditChains: 4 }),
  auditChains: 4,
})

/**
 * The memory store with `claimEvent` in its transactions, as a durable store has it: the claim is an
 * inbox lease taken inside the transaction and completed with it, so it counts only if the
 * transaction commits (a rollback releases it).
 */
function createMemoryClaimStore(): KycStore<undefined> {
  const memory = createMemoryStore()
  return {
    ...memory,
    async transaction(work, options) {
      const claims: InboxClaim[] = []
      try {
        return await memory.transaction(
          (transaction) =>
            work({
              ...transaction,
              async claimEvent(request) {
                const { provider, eventId } = parseTransactionClaimRequest(request)
                const result = await memory.inbox.claim({ provider, eventId, leaseMs: 60 * 60_000 })
                if (result.status !== 'claimed') return { status: result.status }
                claims.push(result.claim)
                await transaction.completeClaim(result.claim)
                return { status: 'claimed' }
              },
            }),
          options,
        )
      } catch (error) {
        for (const claim of claims) await memory.inbox.release(claim)
        throw error
      }
    },
  }
}

describeStoreConformance({
  name: 'memory, claims inside transactions',
  createStore: createMemoryClaimStore,
  claimsInTransaction: true,
})
