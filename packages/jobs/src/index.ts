/**
 * `@openkyc/jobs`: OpenKYC work that outgrows one process, on pg-boss and `@openkyc/postgres`.
 *
 * @packageDocumentation
 */
export {}
