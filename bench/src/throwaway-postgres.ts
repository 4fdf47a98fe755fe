import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const clusterScript = fileURLToPath(new URL('../../scripts/postgres-cluster.sh', import.meta.url))

/** A PostgreSQL server started for this run only. */
export type ThrowawayPostgres = { url: string; stop: () => Promise<void> }

/**
 * Starts the same throwaway cluster as `scripts/with-postgres.sh` (initdb in a temporary directory,
 * a free loopback port) when Debian's PostgreSQL is installed, so `pnpm bench` measures a server
 * without setup. Returns `undefined` when it is not installed. The cluster is removed by `stop()`, or
 * when this process exits (the helper shell's standard input closes).
 */
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres | undefined> {
  const installed =
    existsSync('/usr/lib/postgresql') &&
    readdirSync('/usr/lib/postgresql').some((version) =>
      existsSync(`/usr/lib/postgresql/${version}/bin/initdb`),
    )
  if (!installed || !existsSync(clusterScript)) return undefined
  const helper = spawn(
    'bash',
    [
      '-c',
      'set -euo pipefail; source "$0"; trap stop_postgres_cluster EXIT; start_postgres_cluster; echo "$DATABASE_URL"; read -r _ || true',
      clusterScript,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const exited = new Promise<void>((resolve) => helper.once('exit', () => resolve()))
  const url = await new Promise<string | undefined>((resolve) => {
    createInterface({ input: helper.stdout! }).once('line', resolve)
    void exited.then(() => resolve(undefined))
  })
  if (url === undefined) return undefined
  return {
    url,
    async stop() {
      helper.stdin?.end()
      await exited
    },
  }
}
