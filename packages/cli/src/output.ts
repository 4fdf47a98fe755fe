/** Where a command writes: stdout for results, stderr for notes and errors. */
export type CliIo = {
  argv: readonly string[]
  env: Readonly<Record<string, string | undefined>>
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

/** Writes one line. */
export function line(stream: CliIo['stdout'], text: string): void {
  stream.write(`${text}\n`)
}

/** Writes a value as one JSON document on stdout: what `--json` prints, for scripts and `jq`. */
export function printJson(io: CliIo, value: unknown): void {
  line(io.stdout, JSON.stringify(value, null, 2))
}
