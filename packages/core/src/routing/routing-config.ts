import { z } from '#zod'
import { describeIssues, KycConfigurationError } from '../errors.js'
import { lazySchema, resolveSchema } from '../lazy.js'
import { CountryCodeSchema, type DocumentType, DocumentTypeSchema } from '../model/credential.js'
import { RoutingLabelSchema } from './routing-record.js'

/** What a provider should handle (see {@link RoutingConfig} `coverage`). A missing list means "all". */
export type ProviderCoverage = {
  /** ISO 3166-1 alpha-2 countries the provider handles. Default: every country. */
  countries?: readonly string[]
  /** Document types the provider handles. Default: every type. */
  documentTypes?: readonly DocumentType[]
}

/**
 * A routing rule: when every condition in `when` holds, the request goes to `providers`, tried in
 * order (each one after the previous failed in a way that allows fallback).
 */
export type RoutingRule = {
  /** A label recorded in the audit log when the rule matches (letters, digits, `_ . : -`). */
  name: string
  /** Conditions, all of which must hold. A rule with no condition matches every request. */
  when?: {
    /** The request's `country` is one of these. */
    countries?: readonly string[]
    /** One of the request's `documentTypes` is one of these. */
    documentTypes?: readonly DocumentType[]
    /** Each named attribute in `routing.attributes` of the call equals the value, or one of the values. */
    attributes?: Readonly<Record<string, string | readonly string[]>>
  }
  /** The providers to try, in order, by their key in `adapters`. */
  providers: readonly string[]
}

/** A sticky percentage split between providers (see {@link RoutingConfig} `split`). */
export type RoutingSplit = {
  /** Percentage per provider, by its key in `adapters`; the percentages add up to 100. */
  weights: Readonly<Record<string, number>>
  /**
   * Mixed into the hash of each subject reference. Change it only to reshuffle subjects that have no
   * stored assignment yet. Default `openkyc-split`.
   */
  seed?: string
}

/** Shadow runs (see {@link RoutingConfig} `shadow`). */
export type RoutingShadow = {
  /** The provider that receives the same evidence, by its key in `adapters`. It must declare `upload`. */
  provider: string
  /** The share of API-channel verifications shadowed, 0–100. Chosen by a hash of the verification id. */
  percentage: number
  /** At most `limit` shadow runs start per `intervalMs`, so shadowing cannot eat the vendor's rate limit. */
  rate?: { limit: number; intervalMs: number }
  /** A shadow run is abandoned after this many milliseconds. Default 60,000. */
  timeoutMs?: number
  /** The most evidence bytes held for one pending shadow run; a larger upload cancels the run. Default 20 MiB. */
  maxEvidenceBytes?: number
  /** The most verifications waiting to be shadowed at once (oldest dropped first). Default 1,000. */
  maxPending?: number
}

/**
 * Routing across installed providers, for {@link KycConfig} `routing`. The ordered list of providers
 * for a `createVerification` call is: the first rule that matches; otherwise the subject's sticky
 * split assignment (when `split` is set) or the default provider; followed by `fallback`. Providers
 * outside the request's coverage are skipped. See the core README, "Routing".
 */
export type RoutingConfig = {
  /** What each provider should handle, by its key in `adapters`. */
  coverage?: Readonly<Record<string, ProviderCoverage>>
  /** Rules tried in order; the first that matches chooses the providers. */
  rules?: readonly RoutingRule[]
  /** A sticky split by `subjectReference`, for requests no rule matched. */
  split?: RoutingSplit
  /** Providers tried, in order, after the rule's or split's own providers failed. */
  fallback?: readonly string[]
  /** Shadow runs of API-channel verifications at a second provider. */
  shadow?: RoutingShadow
}

/** The zod schema of {@link RoutingConfig}. Provider names are checked against `adapters` separately. */
export const RoutingConfigSchema = lazySchema(() => {
  const providerName = z.string().min(1, 'expected a provider name')
  const countries = z
    .array(resolveSchema(CountryCodeSchema))
    .min(1, 'list at least one country, or leave the setting out')
  const documentTypes = z
    .array(resolveSchema(DocumentTypeSchema))
    .min(1, 'list at least one document type, or leave the setting out')
  const percentage = z.number().min(0, 'expected 0–100').max(100, 'expected 0–100')
  return z.strictObject({
    coverage: z
      .record(
        providerName,
        z.strictObject({ countries: countries.optional(), documentTypes: documentTypes.optional() }),
      )
      .optional(),
    rules: z
      .array(
        z.strictObject({
          name: resolveSchema(RoutingLabelSchema),
          when: z
            .strictObject({
              countries: countries.optional(),
              documentTypes: documentTypes.optional(),
              attributes: z
                .record(z.string().min(1), z.union([z.string(), z.array(z.string()).min(1)]))
                .optional(),
            })
            .optional(),
          providers: z.array(providerName).min(1, 'list at least one provider'),
        }),
      )
      .optional(),
    split: z
      .strictObject({
        weights: z
          .record(providerName, percentage)
          .refine((weights) => Object.keys(weights).length > 0, 'give at least one provider a percentage')
          .refine(
            (weights) =>
              Math.abs(Object.values(weights).reduce((sum, weight) => sum + weight, 0) - 100) < 1e-9,
            'the percentages must add up to 100',
          ),
        seed: z.string().min(1).max(100).optional(),
      })
      .optional(),
    fallback: z.array(providerName).optional(),
    shadow: z
      .strictObject({
        provider: providerName,
        percentage,
        rate: z
          .strictObject({ limit: z.number().int().positive(), intervalMs: z.number().int().positive() })
          .optional(),
        timeoutMs: z.number().int().positive().optional(),
        maxEvidenceBytes: z.number().int().positive().optional(),
        maxPending: z.number().int().positive().optional(),
      })
      .optional(),
  })
})

/** A validated routing configuration, with every provider name resolved to its key in `adapters`. */
export type ParsedRoutingConfig = z.output<typeof RoutingConfigSchema>

/**
 * Validates `routing` and checks that every provider it names is installed. Throws
 * `KycConfigurationError` naming the setting (`routing.split.weights`, `routing.rules.0.providers.1`).
 */
export function parseRoutingConfig(input: unknown, installed: readonly string[]): ParsedRoutingConfig {
  const parsed = RoutingConfigSchema.safeParse(input)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ ...issue, path: ['routing', ...issue.path] }))
    throw new KycConfigurationError({
      message: `Invalid createKyc configuration: ${describeIssues(issues, Number.POSITIVE_INFINITY)}.`,
    })
  }
  const config = parsed.data
  const unknown: string[] = []
  const check = (name: string, setting: string) => {
    if (!installed.includes(name)) unknown.push(`${setting} names "${name}"`)
  }
  for (const name of Object.keys(config.coverage ?? {})) check(name, `routing.coverage.${name}`)
  for (const [index, rule] of (config.rules ?? []).entries()) {
    for (const [position, name] of rule.providers.entries())
      check(name, `routing.rules.${index}.providers.${position}`)
  }
  for (const name of Object.keys(config.split?.weights ?? {})) check(name, `routing.split.weights.${name}`)
  for (const [position, name] of (config.fallback ?? []).entries())
    check(name, `routing.fallback.${position}`)
  if (config.shadow !== undefined) check(config.shadow.provider, 'routing.shadow.provider')
  if (unknown.length > 0) {
    throw new KycConfigurationError({
      message: `Invalid createKyc configuration: ${unknown.join('; ')}, which is not installed — installed: ${installed.join(', ')}.`,
    })
  }
  return config
}

/** Every provider key the routing configuration names, in a stable order (split, rules, fallback, shadow, coverage). */
export function routedProviders(config: ParsedRoutingConfig): string[] {
  const names = [
    ...Object.keys(config.split?.weights ?? {}),
    ...(config.rules ?? []).flatMap((rule) => rule.providers),
    ...(config.fallback ?? []),
    ...(config.shadow === undefined ? [] : [config.shadow.provider]),
    ...Object.keys(config.coverage ?? {}),
  ]
  return [...new Set(names)]
}
