import { type ProviderMode, type ProviderName, providerTitles } from './provider-name.js'

/** Environment variables as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>

/**
 * A setting the real API needs, satisfied by any one of its alternatives (each alternative being a set
 * of variables that must all be present).
 */
type Requirement = { describe: string; alternatives: readonly (readonly string[])[] }

type CredentialRule = {
  /** Variables whose presence means "use the real vendor". */
  triggers: readonly string[]
  /** What the real API then needs, in the order people set it up. */
  requirements: readonly Requirement[]
}

const single = (variable: string): Requirement => ({ describe: variable, alternatives: [[variable]] })

/**
 * The credentials each vendor's real API needs. The adapters validate the rest (formats, URLs) and
 * name the setting when something is off; these rules only decide simulator versus real API, and
 * catch a half-configured environment before any adapter is built.
 */
export const credentialRules: Readonly<Record<ProviderName, CredentialRule>> = {
  jumio: {
    triggers: ['JUMIO_CLIENT_ID', 'JUMIO_CLIENT_SECRET'],
    requirements: [
      single('JUMIO_CLIENT_ID'),
      single('JUMIO_CLIENT_SECRET'),
      single('JUMIO_USER_AGENT'),
      {
        describe: 'JUMIO_REGION (or JUMIO_AUTH_URL, JUMIO_ACCOUNT_URL and JUMIO_RETRIEVAL_URL)',
        alternatives: [['JUMIO_REGION'], ['JUMIO_AUTH_URL', 'JUMIO_ACCOUNT_URL', 'JUMIO_RETRIEVAL_URL']],
      },
    ],
  },
  persona: {
    triggers: ['PERSONA_API_KEY', 'PERSONA_TEMPLATE_ID'],
    requirements: [single('PERSONA_API_KEY'), single('PERSONA_TEMPLATE_ID')],
  },
  onfido: {
    triggers: ['ONFIDO_API_TOKEN', 'ONFIDO_WORKFLOW_ID'],
    requirements: [single('ONFIDO_API_TOKEN'), single('ONFIDO_WORKFLOW_ID')],
  },
}

/**
 * The environment names a provider's credentials only partly. The message is one line and names the
 * missing variables, never a value.
 */
export class DemoConfigurationError extends Error {
  override readonly name = 'DemoConfigurationError'
}

function isSet(env: Environment, variable: string): boolean {
  return (env[variable]?.trim() ?? '') !== ''
}

/**
 * Decides, per provider, whether the demo talks to the local simulator (no credentials in the
 * environment) or to the vendor's real API (credentials present). Throws
 * {@link DemoConfigurationError} naming the missing variables when credentials are only partly set,
 * so a typo in one variable never silently falls back to the simulator.
 *
 * @example
 * ```ts
 * resolveProviderModes(['jumio', 'persona', 'onfido'], process.env) // { jumio: 'simulator', persona: 'live', onfido: 'simulator' }
 * ```
 */
export function resolveProviderModes(
  providers: readonly ProviderName[],
  env: Environment,
): Record<ProviderName, ProviderMode> {
  const modes: Record<ProviderName, ProviderMode> = {
    jumio: 'simulator',
    persona: 'simulator',
    onfido: 'simulator',
  }
  for (const provider of providers) {
    const rule = credentialRules[provider]
    const present = rule.triggers.filter((variable) => isSet(env, variable))
    if (present.length === 0) continue
    const missing = rule.requirements
      .filter((requirement) =>
        requirement.alternatives.every((variables) => !variables.every((variable) => isSet(env, variable))),
      )
      .map((requirement) => requirement.describe)
    if (missing.length > 0) {
      throw new DemoConfigurationError(
        `${providerTitles[provider]} credentials are incomplete: set ${missing.join(' and ')} ` +
          `(found ${present.join(', ')}), or unset ${rule.triggers.join(' and ')} to use the simulator.`,
      )
    }
    modes[provider] = 'live'
  }
  return modes
}
