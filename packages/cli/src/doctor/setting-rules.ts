/**
 * What is wrong with `PERSONA_WEBHOOK_SECRETS` (comma-separated, several during rotation), or
 * `undefined`. Persona's webhook secrets start with `wbhsec_`.
 */
export function personaWebhookSecretsProblem(value: string): string | undefined {
  const secrets = value.split(',').map((secret) => secret.trim())
  if (secrets.some((secret) => secret === '')) {
    return 'PERSONA_WEBHOOK_SECRETS has an empty entry: list the secrets separated by commas, without blanks'
  }
  const wrong = secrets.findIndex((secret) => !/^wbhsec_[A-Za-z0-9_-]+$/.test(secret))
  if (wrong !== -1) {
    return `PERSONA_WEBHOOK_SECRETS entry ${wrong + 1} is not a Persona webhook secret (wbhsec_…): copy it from the webhook's page in the Persona dashboard`
  }
  return undefined
}

/** What is wrong with `DATABASE_URL`, or `undefined`. Only the form: reachability needs the store. */
export function databaseUrlProblem(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'DATABASE_URL is not a URL: set postgres://user:password@host:5432/database'
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return 'DATABASE_URL must start with postgres:// or postgresql://'
  }
  return undefined
}
