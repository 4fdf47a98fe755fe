// One bulk worker process for the cluster test: the built @openkyc/jobs and @openkyc/persona, a Persona
// simulator over loopback, the cluster-wide limiters. Prints "ready" once it works; runs until killed.

import { createPersona } from '@openkyc/persona'
import { openDatabase } from '@openkyc/postgres'
import { createBulkRuns, createClusterRateLimiter, openJobs } from '../../dist/index.js'

const settings = JSON.parse(process.env.BULK_WORKER ?? '{}')
const database = await openDatabase({ url: settings.url, maxConnections: 4 })
const jobs = await openJobs({
  database,
  url: settings.url,
  schema: settings.schema,
  maxConnections: 2,
  boss: { maintenanceIntervalSeconds: 1 },
})
const limiter = (key, requests, marginMs, requestLimiter) =>
  createClusterRateLimiter({
    jobs,
    key,
    limit: { requests, intervalMs: settings.windowMs },
    marginMs,
    requestLimiter,
  })
// Each inquiry creation is claimed with the slot of its POST /inquiries, in one SQL call.
const requestLimiter = limiter('persona', settings.requests, settings.requestMarginMs)
const persona = createPersona({
  apiKey: 'persona_sandbox_openkyc_jobs',
  templateId: 'itmpl_openkyc_jobs',
  webhookSecrets: ['wbhsec_openkyc_jobs'],
  baseUrl: `${settings.simulatorUrl}/api/v1`,
  env: {},
  rateLimit: requestLimiter,
})
const bulk = createBulkRuns({
  jobs,
  adapters: { persona },
  startLimiters: {
    persona: limiter(
      'persona:inquiry-creations',
      settings.creations,
      settings.creationMarginMs,
      requestLimiter,
    ),
  },
  itemTimeoutMs: settings.itemTimeoutMs,
})
const stop = await bulk.work({ concurrency: settings.concurrency, pollingIntervalSeconds: 0.5 })
process.stdout.write('ready\n')
process.once('SIGTERM', async () => {
  await stop()
  await jobs.stop({ timeoutMs: 2_000 })
  await database.close()
  process.exit(0)
})
