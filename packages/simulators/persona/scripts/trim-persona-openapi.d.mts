/** Types for `trim-persona-openapi.mjs`, so tests can import the trimmer under strict TypeScript. */

/** The trimmed document committed as `src/openapi/persona-schemas.json`. */
export type TrimmedPersonaOpenapi = {
  source: string
  regenerate: string
  operations: Record<string, { request: Record<string, unknown> | null; responses: Record<string, unknown> }>
  webhooks: Record<string, unknown>
  components: { schemas: Record<string, unknown> }
}

/** Path prefixes of the operations kept. */
export declare const simulatedPathPrefixes: readonly string[]
/** Trims a parsed bundle. */
export declare function trimPersonaOpenapi(
  bundle: Record<string, unknown>,
  options?: { sourceName?: string },
): TrimmedPersonaOpenapi
/** Reads and trims the bundle file (default: `docs/reference/persona-openapi.yaml` beside the checkout). */
export declare function trimPersonaOpenapiFile(bundlePath?: string): TrimmedPersonaOpenapi
/** Absolute path of the committed trimmed document. */
export declare const trimmedDocumentPath: string
/** Absolute path of the bundle in a standard checkout. */
export declare const defaultBundlePath: string
