import type { RoutingRequest } from './coverage.js'
import type { RoutingRule } from './routing-config.js'

/**
 * The first rule whose conditions all hold for `request`, or `undefined`. A country condition needs
 * the request's country in its list; a document-type condition needs one of the request's document
 * types in its list; an attribute condition needs the call's attribute equal to the value (or one of
 * the values). A missing request value never matches a condition on it.
 *
 * @example
 * ```ts
 * matchRule([{ name: 'brazil', when: { countries: ['BR'] }, providers: ['onfido'] }], { country: 'BR' })?.name // 'brazil'
 * ```
 */
export function matchRule<Rule extends RoutingRule>(
  rules: readonly Rule[] | undefined,
  request: RoutingRequest,
): Rule | undefined {
  return rules?.find((rule) => ruleMatches(rule, request))
}

function ruleMatches(rule: RoutingRule, request: RoutingRequest): boolean {
  const when = rule.when
  if (when === undefined) return true
  if (when.countries !== undefined) {
    if (request.country === undefined || !when.countries.includes(request.country)) return false
  }
  if (when.documentTypes !== undefined) {
    const accepted = when.documentTypes
    if (!request.documentTypes?.some((type) => accepted.includes(type))) return false
  }
  const conditions = when.attributes
  // No attribute conditions, the usual rule: no empty object and list built per rule per call.
  if (conditions === undefined) return true
  for (const [name, expected] of Object.entries(conditions)) {
    const attributes = request.attributes
    const actual = attributes !== undefined && Object.hasOwn(attributes, name) ? attributes[name] : undefined
    if (actual === undefined) return false
    if (typeof expected === 'string' ? actual !== expected : !expected.includes(actual)) return false
  }
  return true
}
