import type { KycAdapter, VerificationReference } from '@openkyc/core'
import type { HttpFetch } from '@openkyc/core/http'
import type { Environment } from './doctor-check.js'
import { personaWebhookSecretsProblem } from './setting-rules.js'

/** What the doctor knows about one provider it can check. */
export type DoctorProvider = {
  readonly name: string
  /** The package that holds the adapter; a provider whose package is not installed is not checked. */
  readonly packageName: string
  /** Prefix of the provider's environment variables: any of them set means the provider is configured. */
  readonly variablePrefix: string
  /**
   * Builds the adapter from the environment, with the given `fetch` (and clock, for re-verifying an
   * archived delivery as of the time it arrived). Throws `KycConfigurationError`.
   */
  create(module: unknown, env: Environment, fetch: HttpFetch, now?: () => number): KycAdapter
  /** A reference no verification has: reading it is harmless and answers 404 to accepted credentials. */
  absentReference(): VerificationReference
  /** Problems with settings the adapter accepts but the vendor would not (format rules). */
  settingProblems(env: Environment): { check: string; message: string }[]
  /**
   * Its webhook signatures carry a timestamp checked against the clock (Persona): an archived delivery
   * is re-verified with the clock set to when it arrived.
   */
  readonly timestampedSignatures: boolean
}

type Factory = (settings: Record<string, unknown>) => KycAdapter

const randomId = (length: number) =>
  Array.from(
    crypto.getRandomValues(new Uint8Array(length)),
    (byte) => 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789'[byte % 56],
  ).join('')

/** The providers `openkyc doctor` checks when their package is installed. */
export const doctorProviders: readonly DoctorProvider[] = [
  {
    name: 'jumio',
    packageName: '@openkyc/jumio',
    variablePrefix: 'JUMIO_',
    create: (module, env, fetch, now) =>
      (module as { createJumio: Factory }).createJumio({ env, fetch, ...(now === undefined ? {} : { now }) }),
    absentReference: () => ({ accountId: crypto.randomUUID(), workflowExecutionId: crypto.randomUUID() }),
    // The callback URL rule (https, a domain name, no port) is createJumio's own, reported as a settings problem.
    settingProblems: () => [],
    timestampedSignatures: false,
  },
  {
    name: 'persona',
    packageName: '@openkyc/persona',
    variablePrefix: 'PERSONA_',
    create: (module, env, fetch, now) =>
      (module as { createPersona: Factory }).createPersona({
        env,
        fetch,
        ...(now === undefined ? {} : { now }),
      }),
    absentReference: () => ({ inquiryId: `inq_${randomId(24)}` }),
    timestampedSignatures: true,
    settingProblems(env) {
      const secrets = env.PERSONA_WEBHOOK_SECRETS?.trim()
      if (!secrets) {
        return [
          {
            check: 'webhook-secret',
            message:
              'PERSONA_WEBHOOK_SECRETS is not set: webhooks cannot be verified; set the wbhsec_… secret of your webhook',
          },
        ]
      }
      const problem = personaWebhookSecretsProblem(secrets)
      return problem === undefined ? [] : [{ check: 'webhook-secret', message: problem }]
    },
  },
  {
    name: 'onfido',
    packageName: '@openkyc/onfido',
    variablePrefix: 'ONFIDO_',
    create: (module, env, fetch, now) =>
      (module as { createOnfido: Factory }).createOnfido({
        env,
        fetch,
        ...(now === undefined ? {} : { now }),
      }),
    // An applicant id no applicant has: Onfido answers 404 to a token it accepts.
    absentReference: () => ({ applicantId: crypto.randomUUID() }),
    timestampedSignatures: false,
    settingProblems(env) {
      const tokens = (env.ONFIDO_WEBHOOK_TOKENS ?? env.ONFIDO_WEBHOOK_TOKEN)?.trim()
      return tokens
        ? []
        : [
            {
              check: 'webhook-secret',
              message:
                'ONFIDO_WEBHOOK_TOKENS is not set: webhooks cannot be verified; set the token of your Onfido webhook (Dashboard → Webhooks)',
            },
          ]
    },
  },
]
