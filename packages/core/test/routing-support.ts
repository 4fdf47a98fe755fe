import type { AuditEntry, KycStore, RoutingRecord } from '../src/index.js'

/** Every routing audit entry in the store, oldest first. */
export async function routingEntries(
  store: KycStore<unknown>,
): Promise<(AuditEntry & { routing: RoutingRecord })[]> {
  const entries: (AuditEntry & { routing: RoutingRecord })[] = []
  for await (const entry of store.audit.read()) {
    if (entry.action === 'routing' && entry.routing !== undefined) {
      entries.push(entry as AuditEntry & { routing: RoutingRecord })
    }
  }
  return entries
}
