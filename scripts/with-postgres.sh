#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server: DATABASE_URL set, the cluster removed afterwards.
#   scripts/with-postgres.sh pnpm --filter @openkyc/postgres test
#   scripts/with-postgres.sh pnpm bench -- postgres-ingest
set -euo pipefail
if [[ $# -eq 0 ]]; then
  echo "usage: scripts/with-postgres.sh <command> [arguments…]" >&2
  exit 2
fi
# shellcheck source=scripts/postgres-cluster.sh
source "$(dirname "$0")/postgres-cluster.sh"
trap stop_postgres_cluster EXIT
start_postgres_cluster
"$@"
