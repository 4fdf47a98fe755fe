#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests and benchmarks, sourced by .ci/run and scripts/with-postgres.sh.
#   start_postgres_cluster   installs Debian's postgresql when missing, runs initdb in a temporary
#                            directory as a non-root user, starts it on a free 127.0.0.1 port and
#                            exports DATABASE_URL
#   stop_postgres_cluster    stops it and removes the directory (safe to call twice)
# Nothing here touches a system cluster: the data directory, socket and log live in the temp dir.

postgres_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$dir" && -x "$dir/initdb" ]] && echo "$dir"
}

install_postgres_when_missing() {
  if [[ -n "$(postgres_bin_dir)" ]]; then return 0; fi
  if [[ "$(id -u)" != 0 ]]; then
    echo "PostgreSQL is not installed: run 'sudo apt-get install -y postgresql' (or set DATABASE_URL yourself)." >&2
    return 1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
}

free_loopback_port() {
  node -e "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

start_postgres_cluster() {
  install_postgres_when_missing
  local bin owner
  bin=$(postgres_bin_dir)
  POSTGRES_CLUSTER_DIR=$(mktemp -d -t openkyc-postgres.XXXXXX)
  POSTGRES_CLUSTER_PORT=$(free_loopback_port)
  # initdb refuses to run as root: as root, the cluster belongs to the 'postgres' system user.
  if [[ "$(id -u)" == 0 ]]; then owner=postgres; else owner=$(id -un); fi
  chown "$owner" "$POSTGRES_CLUSTER_DIR"
  chmod 700 "$POSTGRES_CLUSTER_DIR"
  as_cluster_owner() {
    if [[ "$owner" == "$(id -un)" ]]; then "$@"; else runuser -u "$owner" -- "$@"; fi
  }
  as_cluster_owner "$bin/initdb" --pgdata="$POSTGRES_CLUSTER_DIR/data" --username=openkyc --auth=trust \
    --encoding=UTF8 --no-locale >"$POSTGRES_CLUSTER_DIR/initdb.log" 2>&1 || {
    cat "$POSTGRES_CLUSTER_DIR/initdb.log" >&2
    return 1
  }
  as_cluster_owner "$bin/pg_ctl" --pgdata="$POSTGRES_CLUSTER_DIR/data" --log="$POSTGRES_CLUSTER_DIR/server.log" \
    --wait --options="-c listen_addresses=127.0.0.1 -c port=$POSTGRES_CLUSTER_PORT -c unix_socket_directories='$POSTGRES_CLUSTER_DIR' -c max_connections=200" \
    start >/dev/null || {
    cat "$POSTGRES_CLUSTER_DIR/server.log" >&2
    return 1
  }
  POSTGRES_CLUSTER_BIN=$bin
  POSTGRES_CLUSTER_OWNER=$owner
  export DATABASE_URL="postgres://openkyc@127.0.0.1:$POSTGRES_CLUSTER_PORT/postgres"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$POSTGRES_CLUSTER_PORT (DATABASE_URL exported, data in $POSTGRES_CLUSTER_DIR)" >&2
}

stop_postgres_cluster() {
  if [[ -z "${POSTGRES_CLUSTER_DIR:-}" ]]; then return 0; fi
  if [[ "$POSTGRES_CLUSTER_OWNER" == "$(id -un)" ]]; then
    "$POSTGRES_CLUSTER_BIN/pg_ctl" --pgdata="$POSTGRES_CLUSTER_DIR/data" --mode=immediate stop >/dev/null 2>&1 || true
  else
    runuser -u "$POSTGRES_CLUSTER_OWNER" -- "$POSTGRES_CLUSTER_BIN/pg_ctl" --pgdata="$POSTGRES_CLUSTER_DIR/data" \
      --mode=immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$POSTGRES_CLUSTER_DIR"
  unset POSTGRES_CLUSTER_DIR DATABASE_URL
}
