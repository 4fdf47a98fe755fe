// The application's own table and an observer of every write to the verification table, for the
// receivers the crash tests start (test only). Both record the writing transaction's id, so the tests
// count transactions that carried several events (the pipeline's groups) and find what one
// transaction wrote; the observer also records whether the write was made by the event claim's own
// statement (the store's claim that carries the update) rather than a separate write.

/** Creates `storm_effect` (one row per handled event) and `storm_move` (one row per verification write) in `schema`. */
export async function createObservedTables(database, schema) {
  await database.transaction(async (transaction) => {
    await transaction.query({
      name: 'lock setup',
      text: 'SELECT pg_advisory_xact_lock(42)::text AS locked',
      values: [],
    })
    await transaction.execute(
      `CREATE TABLE IF NOT EXISTS "${schema}".storm_effect (event_id text NOT NULL, instance text NOT NULL,
  transaction_id bigint NOT NULL DEFAULT txid_current());
CREATE TABLE IF NOT EXISTS "${schema}".storm_move (id text NOT NULL, old_progress text, new_progress text NOT NULL,
  transaction_id bigint NOT NULL DEFAULT txid_current(), with_claim boolean NOT NULL);
CREATE OR REPLACE FUNCTION "${schema}".storm_observe() RETURNS trigger LANGUAGE plpgsql AS $observe$
BEGIN
  INSERT INTO "${schema}".storm_move (id, old_progress, new_progress, with_claim)
  VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.progress END, NEW.progress,
          coalesce(current_query() LIKE '%webhook_inbox%', false));
  RETURN NEW;
END
$observe$;
DROP TRIGGER IF EXISTS storm_observe ON "${schema}".verification;
CREATE TRIGGER storm_observe AFTER INSERT OR UPDATE ON "${schema}".verification
  FOR EACH ROW EXECUTE FUNCTION "${schema}".storm_observe();`,
      'storm setup',
    )
  })
}
