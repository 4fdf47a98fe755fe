#!/bin/sh
# `pnpm demo` at the repository root: builds the demo and the packages it uses (turbo, cached), then
# runs it with the flags given. Build output goes to stderr, so `--json` leaves stdout to the JSON; the
# demo's own exit code (2 for a bad command line) is the command's.
set -e
cd "$(dirname "$0")/../../.."
echo 'Building the demo and the packages it uses (a minute or two the first time, seconds after)...' >&2
turbo run build --filter=@openkyc/demo... --output-logs=errors-only >&2
exec node apps/demo/dist/cli.js "$@"
