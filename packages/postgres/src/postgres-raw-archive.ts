import {
  type ArchivedPayload,
  parseArchivedPayloadInput,
  parseRawArchiveQuery,
  parseStoredArchivedPayload,
  type RawArchiveStore,
} from '@openkyc/core'
import type { SqlExecutor, SqlStatement, SqlValue } from './executor.js'

const isoTime = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

const selectColumns = `sequence::text AS sequence, id::text AS id, provider, kind,
  ${isoTime('received_at')} AS received_at, ${isoTime('expires_at')} AS expires_at,
  to_jsonb(verification_ids) AS verification_ids, to_jsonb(event_ids) AS event_ids, key_id, iv, ciphertext`

function statement(name: string, text: string, values: readonly SqlValue[] = []): SqlStatement {
  return { name, text, values }
}

/**
 * The raw archive's statements (table `raw_archive`, migration 3), one named function each. Arrays
 * travel as JSON text and are unpacked in SQL, so both drivers bind the same parameter types.
 */
export const rawArchiveStatements = {
  insertArchivedPayload: (schema: string, payload: ReturnType<typeof parseArchivedPayloadInput>) =>
    statement(
      'insert archived payload',
      `INSERT INTO ${schema}.raw_archive
         (id, provider, kind, received_at, expires_at, verification_ids, event_ids, key_id, iv, ciphertext)
       VALUES (gen_random_uuid(), $1, $2, $3::timestamptz, $4::timestamptz,
         ARRAY(SELECT jsonb_array_elements_text($5::text::jsonb)),
         ARRAY(SELECT jsonb_array_elements_text($6::text::jsonb)), $7, $8, $9)
       RETURNING ${selectColumns}`,
      [
        payload.provider,
        payload.kind,
        payload.receivedAt,
        payload.expiresAt,
        JSON.stringify(payload.verificationIds),
        JSON.stringify(payload.eventIds),
        payload.keyId,
        payload.iv,
        payload.ciphertext,
      ],
    ),
  /** One page of live payloads after a sequence, each filter applied when not null. */
  selectArchivedPayloadPage: (
    schema: string,
    page: {
      afterSequence: number
      provider: string | null
      kind: string | null
      eventId: string | null
      verificationId: string | null
      receivedSince: string | null
      limit: number
    },
  ) =>
    statement(
      'select archived payload page',
      `SELECT ${selectColumns} FROM ${schema}.raw_archive
       WHERE sequence > $1 AND expires_at > now()
         AND ($2::text IS NULL OR provider = $2)
         AND ($3::text IS NULL OR kind = $3)
         AND ($4::text IS NULL OR event_ids @> ARRAY[$4::text])
         AND ($5::text IS NULL OR verification_ids @> ARRAY[$5::text])
         AND ($6::timestamptz IS NULL OR received_at >= $6::timestamptz)
       ORDER BY raw_archive.sequence LIMIT $7`,
      [
        page.afterSequence,
        page.provider,
        page.kind,
        page.eventId,
        page.verificationId,
        page.receivedSince,
        page.limit,
      ],
    ),
  deleteExpiredArchivedPayloads: (schema: string) =>
    statement(
      'delete expired archived payloads',
      `DELETE FROM ${schema}.raw_archive WHERE expires_at <= now() RETURNING sequence::text AS sequence`,
    ),
  deleteArchivedPayloadsOfVerification: (schema: string, provider: string, verificationId: string) =>
    statement(
      'delete archived payloads of verification',
      `DELETE FROM ${schema}.raw_archive WHERE provider = $1 AND verification_ids @> ARRAY[$2::text]
       RETURNING sequence::text AS sequence`,
      [provider, verificationId],
    ),
}

type ArchiveRow = {
  sequence: string
  id: string
  provider: string
  kind: string
  received_at: string
  expires_at: string
  verification_ids: string[]
  event_ids: string[]
  key_id: string
  iv: string
  ciphertext: string
}

function toPayload(row: ArchiveRow): ArchivedPayload {
  return parseStoredArchivedPayload({
    sequence: Number(row.sequence),
    id: row.id,
    provider: row.provider,
    kind: row.kind,
    receivedAt: row.received_at,
    expiresAt: row.expires_at,
    verificationIds: row.verification_ids,
    eventIds: row.event_ids,
    keyId: row.key_id,
    iv: row.iv,
    ciphertext: row.ciphertext,
  })
}

const pageSize = 200

/** The PostgreSQL store's raw archive: the `raw_archive` table of `schema` (already quoted). */
export function createPostgresRawArchive(database: SqlExecutor, schema: string): RawArchiveStore {
  return {
    async put(input) {
      const payload = parseArchivedPayloadInput(input)
      const [row] = await database.query<ArchiveRow>(
        rawArchiveStatements.insertArchivedPayload(schema, payload),
      )
      return toPayload(row as ArchiveRow)
    },
    async *read(query = {}) {
      const parsed = parseRawArchiveQuery(query)
      let after = parsed.afterSequence ?? 0
      let remaining = parsed.limit ?? Number.POSITIVE_INFINITY
      while (remaining > 0) {
        const limit = Math.min(pageSize, remaining)
        const rows = await database.query<ArchiveRow>(
          rawArchiveStatements.selectArchivedPayloadPage(schema, {
            afterSequence: after,
            provider: parsed.provider ?? null,
            kind: parsed.kind ?? null,
            eventId: parsed.eventId ?? null,
            verificationId: parsed.verificationId ?? null,
            receivedSince: parsed.receivedSince ?? null,
            limit,
          }),
        )
        for (const row of rows) yield toPayload(row)
        if (rows.length < limit) return
        remaining -= rows.length
        after = Number(rows[rows.length - 1]?.sequence)
      }
    },
    async deleteExpired() {
      return (await database.query(rawArchiveStatements.deleteExpiredArchivedPayloads(schema))).length
    },
    async deleteByVerification(key) {
      return (
        await database.query(
          rawArchiveStatements.deleteArchivedPayloadsOfVerification(schema, key.provider, key.id),
        )
      ).length
    },
  }
}
