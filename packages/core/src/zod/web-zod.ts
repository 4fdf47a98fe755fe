/**
 * zod's `z` namespace, imported as any module imports it. Selected by `#zod` (and
 * `@openkyc/core/zod`) wherever the code is bundled or runs without Node's module loader: the
 * `module`, `browser`, `worker` and `workerd` conditions bundlers set (esbuild, webpack, Rollup,
 * Vite, wrangler) and `default` (workerd, browsers). A bundled application therefore carries zod in
 * its bundle and needs no `node_modules` at run time. Under Node's loader the `node` condition
 * selects the variant that loads zod on first use instead (`node-zod.ts`).
 */
export { z } from 'zod'
