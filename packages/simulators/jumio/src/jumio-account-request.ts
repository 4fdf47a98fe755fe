import { z } from 'zod'
import type { JumioCredentialCategory, JumioWorkflowDefinition } from './jumio-workflows.js'

/**
 * Validation of `POST /api/v1/accounts` and `PUT /api/v1/accounts/{id}` bodies, rule by rule from the
 * request table in `reference/jumio-api.md` §2 (G23, DOC Creating/Updating Accounts, PS callback rules).
 * Messages name the field and the rule, never the value: the value may be personal data.
 */

/** `< > " / ; \ % { } |` (G23), plus the backtick the Markdown of that table makes ambiguous. */
const forbiddenReferenceCharacters = /[<>"/;\\`%{}|]/

const tokenLifetimePattern = /^([+-]?\d+)([smhd]{1})$/
const consentTimestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const alpha3Pattern = /^[A-Z]{3}$/
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const minimumTokenLifetimeSeconds = 5 * 60
const maximumTokenLifetimeSeconds = 60 * 24 * 60 * 60
const defaultTokenLifetimeSeconds = 30 * 60
const continuousConsentMilliseconds = 3 * 365.25 * 24 * 60 * 60 * 1000

const unitSeconds = { s: 1, m: 60, h: 3600, d: 86_400 } as const

/** Parses a `tokenLifetime` such as `600s`, `30m` or `1d` into seconds; undefined when malformed. */
export function parseTokenLifetime(value: string): number | undefined {
  const match = tokenLifetimePattern.exec(value)
  if (!match) return undefined
  return Number(match[1]) * unitSeconds[match[2] as keyof typeof unitSeconds]
}

const referenceString = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .min(1, { error: `must be 1..${max} characters` })
    .max(max, { error: `must be 1..${max} characters` })

const presetSchema = z.object({
  predefinedType: z.enum(['DEFINED', 'RECOMMENDED']).optional(),
  values: z.array(z.string()).optional(),
})

const credentialRequestSchema = z.object({
  category: z.enum(['ID', 'FACEMAP', 'DOCUMENT', 'SELFIE', 'DATA'], {
    error: 'must be one of ID, FACEMAP, DOCUMENT, SELFIE, DATA',
  }),
  id: z.string().regex(uuidPattern, { error: 'must be a credential UUID' }).optional(),
  country: presetSchema.optional(),
  type: presetSchema.optional(),
})

const urlString = z.string().min(1, { error: 'must be 1..255 characters' }).max(255, {
  error: 'must be 1..255 characters',
})

const accountRequestSchema = z.object({
  customerInternalReference: referenceString(100).refine(
    (value) => !forbiddenReferenceCharacters.test(value),
    { error: 'must not contain any of < > " / ; \\ % { } |' },
  ),
  userReference: referenceString(100).optional(),
  reportingCriteria: referenceString(255).optional(),
  callbackUrl: urlString.optional(),
  tokenLifetime: z.string({ error: 'must be a string' }).optional(),
  workflowDefinition: z.object(
    {
      key: z.union([z.number().int(), z.string().regex(/^\d+$/)], {
        error: 'must be a workflow definition key',
      }),
      credentials: z.array(credentialRequestSchema).optional(),
      capabilities: z.record(z.string(), z.unknown()).optional(),
    },
    { error: 'is required' },
  ),
  web: z
    .object({
      successUrl: urlString.optional(),
      errorUrl: urlString.optional(),
      locale: z
        .string()
        .min(2, { error: 'must be 2..5 characters' })
        .max(5, { error: 'must be 2..5 characters' })
        .optional(),
    })
    .optional(),
  userConsent: z
    .object({
      userIp: z.string().optional(),
      userLocation: z
        .object({
          country: z.string().optional(),
          state: z.string().max(100, { error: 'must be at most 100 characters' }).optional(),
        })
        .optional(),
      consent: z
        .object({
          obtained: z.enum(['yes', 'no', 'na'], { error: 'must be yes, no or na' }).optional(),
          obtainedAt: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
})

/** An account create/update body after validation, with the workflow resolved. */
export type JumioAccountRequest = z.infer<typeof accountRequestSchema>

/** One requested credential (presets or a reference to a credential on file). */
export type JumioCredentialRequest = z.infer<typeof credentialRequestSchema>

/** What validation found: the accepted request, or the rule violations for a 400 body. */
export type AccountRequestValidation =
  | {
      ok: true
      request: JumioAccountRequest
      workflow: JumioWorkflowDefinition
      tokenLifetimeSeconds: number
    }
  | { ok: false; problems: string[] }

/** Settings that relax rules for local use (the demo posts callbacks to `http://127.0.0.1:PORT`). */
export type AccountValidationSettings = {
  /** Accept `http:`, IP addresses, ports and `localhost` in `callbackUrl`. Default false: Jumio's rules. */
  allowInsecureCallbackUrls: boolean
  /** Clock time, for the 3-year continuous-consent limit. */
  now: number
  /** The workflow keys this tenant has. */
  workflows: ReadonlyMap<number, JumioWorkflowDefinition>
  /**
   * Whether `userConsent` must come with the account request of a biometric workflow (`create`), or only
   * before biometric evidence is uploaded through the API (`api-upload`, the default: seed 002 ties the
   * customer's consent duty to API uploads, and the web client collects consent itself).
   */
  consentRequired: 'create' | 'api-upload'
}

function isIpAddress(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith('[')
}

/** The callback URL rules of the Portal settings (PS): HTTPS, RFC 3986, no IP, no port, no fragment. */
export function callbackUrlProblems(
  value: string,
  settings: Pick<AccountValidationSettings, 'allowInsecureCallbackUrls'>,
): string[] {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return ['callbackUrl: must be a valid absolute URL']
  }
  const problems: string[] = []
  if (url.hash !== '' || value.includes('#')) problems.push('callbackUrl: must not contain a fragment')
  if (settings.allowInsecureCallbackUrls) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push('callbackUrl: must use HTTPS')
    return problems
  }
  if (url.protocol !== 'https:') problems.push('callbackUrl: must use HTTPS')
  if (url.port !== '' || /^[a-z]+:\/\/[^/]*:\d+/i.test(value))
    problems.push('callbackUrl: must not contain a port')
  if (isIpAddress(url.hostname)) problems.push('callbackUrl: must not be an IP address')
  if (url.hostname === 'localhost' || !url.hostname.includes('.')) {
    problems.push('callbackUrl: must be a public domain name')
  }
  return problems
}

function redirectUrlProblems(field: string, value: string | undefined): string[] {
  if (value === undefined) return []
  try {
    new URL(value)
    return []
  } catch {
    return [`${field}: must be a valid absolute URL`]
  }
}

function credentialProblems(
  workflow: JumioWorkflowDefinition,
  credentials: readonly JumioCredentialRequest[],
): string[] {
  const problems: string[] = []
  const allowed = new Set<JumioCredentialCategory>([
    ...workflow.credentials.map((item) => item.category),
    'DATA',
  ])
  credentials.forEach((credential, index) => {
    const field = `workflowDefinition.credentials[${index}]`
    if (!allowed.has(credential.category)) {
      problems.push(`${field}.category: not part of workflow ${workflow.key}`)
    }
    for (const value of credential.country?.values ?? []) {
      if (!alpha3Pattern.test(value))
        problems.push(`${field}.country.values: must be ISO 3166-1 alpha-3 codes`)
    }
    if (credential.category === 'DOCUMENT') {
      if (credential.country?.values?.length !== 1 || credential.type?.values?.length !== 1) {
        problems.push(`${field}: a DOCUMENT credential needs exactly one country and one type`)
      }
    }
    const types: Partial<Record<JumioCredentialCategory, readonly string[]>> = {
      ID: ['ID_CARD', 'DRIVING_LICENSE', 'PASSPORT', 'VISA'],
      FACEMAP: ['IPROOV_STANDARD', 'IPROOV_PREMIUM', 'JUMIO_STANDARD'],
    }
    const allowedTypes = types[credential.category]
    for (const value of credential.type?.values ?? []) {
      if (allowedTypes !== undefined && !allowedTypes.includes(value)) {
        problems.push(`${field}.type.values: unknown ${credential.category} type`)
      }
    }
  })
  if (workflow.key === 20 && credentials.length > 0) {
    const categories = credentials.map((credential) => credential.category).sort()
    const pairs = ['ID,SELFIE', 'ID,ID', 'SELFIE,SELFIE']
    if (!pairs.includes(categories.join(','))) {
      problems.push('workflowDefinition.credentials: workflow 20 compares ID+SELFIE, ID+ID or SELFIE+SELFIE')
    }
  }
  if (workflow.requiresExistingId) {
    const existing = credentials.find((credential) => credential.category === 'ID')
    if (existing?.id === undefined) {
      problems.push(
        `workflowDefinition.credentials: workflow ${workflow.key} needs the id of an ID credential on file`,
      )
    }
  }
  return problems
}

function consentProblems(
  request: JumioAccountRequest,
  workflow: JumioWorkflowDefinition,
  settings: Pick<AccountValidationSettings, 'now' | 'consentRequired'>,
): string[] {
  const consent = request.userConsent
  const now = settings.now
  if (consent === undefined) {
    return workflow.biometric && settings.consentRequired === 'create'
      ? [`userConsent: required for workflow ${workflow.key}, which collects biometric data`]
      : []
  }
  const problems: string[] = []
  const required = workflow.biometric
  if (required && (consent.userIp === undefined || consent.userIp === '')) {
    problems.push('userConsent.userIp: required when biometric data is collected')
  }
  const country = consent.userLocation?.country
  if (required && country === undefined) {
    problems.push('userConsent.userLocation.country: required when biometric data is collected')
  }
  if (country !== undefined && !alpha3Pattern.test(country)) {
    problems.push('userConsent.userLocation.country: must be an ISO 3166-1 alpha-3 code')
  }
  const obtained = consent.consent?.obtained
  if (country === 'USA' && obtained === undefined) {
    problems.push('userConsent.consent.obtained: required when the user is in the USA')
  }
  const obtainedAt = consent.consent?.obtainedAt
  if (obtained === 'yes' && obtainedAt === undefined) {
    problems.push('userConsent.consent.obtainedAt: required when consent was obtained')
  }
  if (obtainedAt !== undefined) {
    const time = Date.parse(obtainedAt)
    if (!consentTimestampPattern.test(obtainedAt) || Number.isNaN(time)) {
      problems.push('userConsent.consent.obtainedAt: must be YYYY-MM-DDThh:mm:ss.SSSZ')
    } else if (now - time > continuousConsentMilliseconds) {
      problems.push('userConsent.consent.obtainedAt: continuous consent is valid for at most 3 years')
    }
  }
  return problems
}

/**
 * Validates an account create/update body. Everything Jumio documents as a request rule is checked;
 * fields it does not document are ignored, as a tolerant server would.
 */
export function validateAccountRequest(
  body: unknown,
  settings: AccountValidationSettings,
): AccountRequestValidation {
  const parsed = accountRequestSchema.safeParse(body)
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const path = issue.path.join('.')
        const message =
          issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message
        return path === ''
          ? `body: ${message === 'is required' ? 'must be a JSON object' : message}`
          : `${path}: ${message}`
      }),
    }
  }
  const request = parsed.data
  const workflow = settings.workflows.get(Number(request.workflowDefinition.key))
  if (workflow === undefined) {
    return { ok: false, problems: ['workflowDefinition.key: unknown workflow definition key'] }
  }
  const problems: string[] = []
  if (request.callbackUrl !== undefined) problems.push(...callbackUrlProblems(request.callbackUrl, settings))
  problems.push(...redirectUrlProblems('web.successUrl', request.web?.successUrl))
  problems.push(...redirectUrlProblems('web.errorUrl', request.web?.errorUrl))
  let tokenLifetimeSeconds = defaultTokenLifetimeSeconds
  if (request.tokenLifetime !== undefined) {
    const seconds = parseTokenLifetime(request.tokenLifetime)
    if (seconds === undefined) {
      problems.push('tokenLifetime: must match ^([+-]?\\d+)([smhd]{1})$, for example 30m')
    } else if (seconds < minimumTokenLifetimeSeconds || seconds > maximumTokenLifetimeSeconds) {
      problems.push('tokenLifetime: must be between 5m and 60d')
    } else {
      tokenLifetimeSeconds = seconds
    }
  }
  if (workflow.requiresUserReference && request.userReference === undefined) {
    problems.push(`userReference: required for screening workflow ${workflow.key}`)
  }
  problems.push(...credentialProblems(workflow, request.workflowDefinition.credentials ?? []))
  problems.push(...consentProblems(request, workflow, settings))
  if (problems.length > 0) return { ok: false, problems }
  return { ok: true, request, workflow, tokenLifetimeSeconds }
}
