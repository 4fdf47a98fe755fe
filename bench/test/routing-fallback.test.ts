import { type AuditEntry, createKyc, createMemoryStore, verifyAuditChain } from '@openkyc/core'
import { createJumioSimulator } from '@openkyc/simulator-jumio'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarios } from '@openkyc/testkit/catalogue'
import { describe, expect, it } from 'vitest'
import { createFaultInjectingFetch } from '../src/fault-injection.js'
import { createBenchJumio, createBenchPersona } from '../src/providers.js'
import { createSeededRandom } from '../src/random.js'
import { createCapture, personalDataFound } from './support/capture.js'
import { runPool } from './support/flows.js'

/**
 * Routing fallback against the simulators: Jumio first, failing every account creation with a 5xx,
 * a connection reset or a timeout whose answer is lost after Jumio acted; Persona second, healthy.
 * Every verification must succeed through Persona, no provider may create a verification twice for
 * one call, and the audit log must name each fallback with the failure's class.
 */

const flows = 1000
const concurrency = 25
/** Jumio's per-attempt timeout: short, so the lost answers cost little real time. */
const timeoutMs = 150

describe('routing fallback over the simulators', () => {
  it(`${flows} verifications with Jumio failing (5xx, resets, timeouts) all succeed through Persona, none created twice`, async () => {
    const jumio = createJumioSimulator({ rateLimits: false })
    const accountCreation = (request: Request) =>
      request.method === 'POST' && new URL(request.url).pathname === '/api/v1/accounts'
    const faults = createFaultInjectingFetch({
      simulator: jumio,
      rates: { serverError: 0.4, rateLimited: 0, connectionReset: 0.3, timeout: 0.3 },
      random: createSeededRandom(20_261_205),
    })
    // Tokens are issued normally; every account creation fails in one of the three ways.
    const jumioFetch = ((input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request && init === undefined ? input : new Request(input, init)
      return accountCreation(request) ? faults.fetch(request) : jumio.fetch(request)
    }) as typeof fetch
    const persona = createPersonaSimulator({
      rateLimit: { limit: 1_000_000_000 },
      inquiryCreationQuota: false,
      webhook: { enabledEvents: [] },
    })
    const capture = createCapture()
    const store = createMemoryStore()
    const kyc = createKyc({
      provider: 'jumio',
      adapters: {
        jumio: createBenchJumio(
          { fetch: jumioFetch, now: () => jumio.clock.now(), sleep: async () => {}, logger: capture.logger },
          { timeoutMs, retries: 2 },
        ),
        persona: createBenchPersona(
          {
            fetch: persona.fetch,
            now: () => persona.clock.now(),
            sleep: async () => {},
            logger: capture.logger,
          },
          { handoff: 'hosted-url', rateLimit: false },
        ),
      },
      store,
      logger: capture.logger,
      env: {},
      routing: { fallback: ['persona'] },
    })

    const created: { provider: string; id: string; subject: string }[] = []
    await runPool(flows, concurrency, async (index) => {
      const scenario = scenarios[index % scenarios.length]!
      const subject = `fallback-${index}`
      const { verification } = await kyc.createVerification({
        subjectReference: subject,
        prefill: {
          firstName: scenario.applicant.firstName,
          lastName: scenario.applicant.lastName,
          dateOfBirth: scenario.applicant.dateOfBirth,
        },
      })
      created.push({ provider: verification.provider, id: verification.id, subject })
    })

    const entries: AuditEntry[] = []
    for await (const entry of store.audit.read()) entries.push(entry)
    const routing = entries.filter((entry) => entry.action === 'routing')
    const firstResults = routing.map((entry) => entry.routing?.attempts[0]?.result)
    const accountPosts = jumio.requests.filter(
      (request) => request.method === 'POST' && request.path === '/api/v1/accounts',
    )
    const executions = jumio.executions()
    const inquiries = persona.persona.state.collection('inquiry').size
    const leaks = personalDataFound(capture)
    console.log(
      `routing fallback: ${created.length}/${flows} created, ${created.filter((item) => item.provider === 'persona').length} at Persona; ` +
        `Jumio saw ${accountPosts.length} account creations (${faults.counts.serverError} 5xx, ${faults.counts.connectionReset} resets, ` +
        `${faults.counts.lostResponse} timeouts after acting), created ${executions.length} orphaned executions; ` +
        `Persona holds ${inquiries} inquiries; audit: ${firstResults.filter((result) => result === 'unavailable').length} unavailable, ` +
        `${firstResults.filter((result) => result === 'timeout').length} timeouts; PII hits ${leaks.length}`,
    )

    // Every call succeeded, through the second provider, once per subject.
    expect(created).toHaveLength(flows)
    expect(created.every((item) => item.provider === 'persona')).toBe(true)
    expect(new Set(created.map((item) => item.id)).size).toBe(flows)
    expect(inquiries).toBe(flows)
    // Jumio was asked at most once per call (no POST is repeated without an idempotency key), so it
    // created at most one verification per call: only those whose answer was lost.
    expect(accountPosts.length).toBe(flows)
    expect(faults.counts.serverError + faults.counts.connectionReset + faults.counts.lostResponse).toBe(flows)
    expect(executions).toHaveLength(faults.counts.lostResponse)
    expect(new Set(executions.map((execution) => execution.accountId)).size).toBe(executions.length)
    // The audit log names each fallback and its class.
    expect(routing).toHaveLength(flows)
    for (const entry of routing) {
      expect(entry.routing?.chosen).toBe('persona')
      expect(entry.routing?.attempts.map((attempt) => attempt.provider)).toEqual(['jumio', 'persona'])
    }
    expect(firstResults.filter((result) => result === 'timeout')).toHaveLength(faults.counts.lostResponse)
    expect(firstResults.filter((result) => result === 'unavailable')).toHaveLength(
      faults.counts.serverError + faults.counts.connectionReset,
    )
    expect((await verifyAuditChain(store.audit.read())).valid).toBe(true)
    expect(leaks).toEqual([])
    const rows = JSON.stringify(entries)
    for (const item of created.slice(0, 50)) expect(rows).not.toContain(item.subject)
    jumio.shutdown()
  })
})
