/** Environment variables as `process.env` holds them. */
export type EnvironmentVariables = Record<string, string | undefined>

/**
 * The process's environment variables where the runtime has them (Node, Bun, Deno's `process`), and
 * none where it does not (Cloudflare Workers without `nodejs_compat`, browsers): the default source
 * of settings' fallbacks. On Workers pass the `env` binding explicitly instead.
 *
 * @example
 * ```ts
 * const env = settings.env ?? processEnvironment()
 * ```
 */
export function processEnvironment(): EnvironmentVariables {
  const host = globalThis as { process?: { env?: EnvironmentVariables } }
  return host.process?.env ?? {}
}
