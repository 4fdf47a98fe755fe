/**
 * Known bugs of Onfido's official OpenAPI spec v3.6 (bundled `onfido-openapi.json`, tag v6.2.0), and
 * how the validator corrects them before checking anything. Each entry names the schema it touches,
 * what real traffic shows, and the source, so a reader can judge every correction; nothing else in the
 * spec is relaxed. `reference/onfido-api.md` §8.3 documents the first one.
 */
export type OnfidoSpecErratum = {
  /** The component schema the correction applies to (`components.schemas.<name>`). */
  readonly schema: string
  /** What is wrong in the spec. */
  readonly problem: string
  /** What the validator does instead. */
  readonly correction: string
  /** Where the real behaviour is documented. */
  readonly source: string
  /** Applies the correction to a copy of the schema (mutates it). */
  readonly apply: (schema: Record<string, unknown>) => void
}

type SchemaNode = Record<string, unknown>

function properties(schema: SchemaNode): Record<string, SchemaNode> {
  const found = schema.properties
  if (typeof found !== 'object' || found === null) {
    throw new TypeError('onfido spec erratum: the schema has no properties (the spec changed)')
  }
  return found as Record<string, SchemaNode>
}

function makeNullable(schema: SchemaNode, names: readonly string[]): void {
  const map = properties(schema)
  for (const name of names) {
    const property = map[name]
    if (property === undefined)
      throw new TypeError(`onfido spec erratum: no property ${name} (the spec changed)`)
    property.nullable = true
  }
}

/**
 * Every correction the validator applies, in order. Sources: `reference/onfido-api.md` (NODE =
 * `onfido/onfido-node` tests and `test/test-examples.ts`, recorded against the real sandbox).
 */
export const onfidoSpecErrata: readonly OnfidoSpecErratum[] = Object.freeze([
  {
    schema: 'webhook_event_payload',
    problem:
      '`required: [event, resource_id, resource_type]` names two fields that no webhook carries (`event`, `resource_id`); the real envelope has `resource_type`, `action`, `object`.',
    correction: '`required` becomes `[resource_type, action, object]`.',
    source: 'onfido-api.md §8.3 and §8.4 (NODE and JAVA webhook verifier test vectors)',
    apply: (schema) => {
      schema.required = ['resource_type', 'action', 'object']
    },
  },
  {
    schema: 'applicant_shared',
    problem:
      '`email`, `dob`, `phone_number` are typed `string` without `nullable`, but the API returns them as `null` when unset.',
    correction: 'the three properties are nullable.',
    source:
      'onfido-api.md §3 (SPEC applicant_response plus NODE exampleApplicant: "null fields are present")',
    apply: (schema) => makeNullable(schema, ['email', 'dob', 'phone_number']),
  },
  {
    schema: 'applicant_response',
    problem: '`delete_at` is `null` until the applicant is deleted; the spec does not allow `null`.',
    correction: '`delete_at` is nullable.',
    source: 'onfido-api.md §3 (NODE exampleApplicant `delete_at: null`)',
    apply: (schema) => makeNullable(schema, ['delete_at']),
  },
  {
    schema: 'workflow_run_response',
    problem:
      '`output` and `error` are `null` until a run produces them (and `error` outside status `error`); the spec types them `object` without `nullable`.',
    correction: '`output` and `error` are nullable.',
    source: 'onfido-api.md §5 (NODE exampleWorkflowRun: `output: null`, `error: null`)',
    apply: (schema) => makeNullable(schema, ['output', 'error']),
  },
  {
    schema: 'workflow_run_shared',
    problem:
      '`customer_user_id` is `null` when the run was created without one; the spec does not allow `null`.',
    correction: '`customer_user_id` is nullable.',
    source: 'onfido-api.md §5 (NODE exampleWorkflowRun `customer_user_id: null`)',
    apply: (schema) => makeNullable(schema, ['customer_user_id']),
  },
  {
    schema: 'webhook_event_payload_resource',
    problem:
      'The Studio `resource` is the full workflow run, so `error` and `customer_user_id` are `null` as in the REST object; the spec does not allow `null`.',
    correction: '`error` and `customer_user_id` are nullable, as in `workflow_run` above.',
    source: 'onfido-api.md §8.3 ("resource: full workflow run object"), §5 (NODE exampleWorkflowRun)',
    apply: (schema) => makeNullable(schema, ['error', 'customer_user_id']),
  },
  {
    schema: 'check_response',
    problem:
      '`result` is `null` while a check is in progress ("`null` until complete"), `form_uri` is `null` unless the applicant provides data; the spec allows neither.',
    correction: '`result` and `form_uri` are nullable.',
    source: 'onfido-api.md §6 (NODE checks.test.ts: created `status: in_progress, result: null`)',
    apply: (schema) => makeNullable(schema, ['result', 'form_uri']),
  },
  {
    schema: 'check_shared',
    problem: '`redirect_uri` is `null` unless given; the spec does not allow `null`.',
    correction: '`redirect_uri` is nullable.',
    source: 'onfido-api.md §6 (check object lists `redirect_uri`, NODE exampleCheck)',
    apply: (schema) => makeNullable(schema, ['redirect_uri']),
  },
  {
    schema: 'report_shared',
    problem:
      '`result` and `sub_result` are `null` until a report completes, and `sub_result` is `null` for every report but the document report (the spec says so in its own description, then types it a non-nullable enum).',
    correction: '`result` and `sub_result` are nullable.',
    source: 'SPEC `report_sub_result.description` ("will be null otherwise"); onfido-api.md §6',
    apply: (schema) => makeNullable(schema, ['result', 'sub_result']),
  },
  {
    schema: 'document_shared',
    problem:
      '`side` and `issuing_country` are `null` when not given at upload; the spec does not allow `null`.',
    correction: '`side` and `issuing_country` are nullable.',
    source:
      'onfido-api.md §4 (document response shape: `side:null, issuing_country:null`, NODE exampleDocument)',
    apply: (schema) => makeNullable(schema, ['side', 'issuing_country']),
  },
])
