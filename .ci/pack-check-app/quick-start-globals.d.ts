// What the README's quick start leaves to the application: a redirect, a router and storage.
// run-quick-start.mjs provides them at run time.
import type { WebhookOutcome } from '@openkyc/core'

type ChangedVerification = NonNullable<WebhookOutcome['events'][number]['verification']>

declare global {
  function redirect(url: string | undefined): void
  const app: { post(path: string, handler: (request: Request) => Promise<Response>): void }
  function save(verification: ChangedVerification): Promise<void>
}
