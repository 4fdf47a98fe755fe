/**
 * `@openkyc/core/node`: conveniences for Node servers (Express, Fastify, `node:http`). Everything
 * else in core is Web-standard and runs on Node, Bun, Deno and Cloudflare Workers alike; this entry
 * point alone uses Node's request type, so nothing outside Node ever loads it.
 *
 * @packageDocumentation
 */
export { readNodeRequest } from './read-node-request.js'
