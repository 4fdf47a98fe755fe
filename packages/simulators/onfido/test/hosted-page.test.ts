import { describe, expect, it } from 'vitest'
import { startOnfido } from './onfido-test-server.js'

describe('hosted flow at the workflow run link', () => {
  it('serves the page at link.url, and submitting finishes the run and redirects to completed_redirect_url', async () => {
    const onfido = await startOnfido()
    const { runId } = await onfido.createRun('Testperson-Approve', {
      link: { completed_redirect_url: 'https://app.example.test/done' },
    })
    const run = await onfido.call('GET', `/v3.6/workflow_runs/${runId}`)
    const page = await fetch(run.body.link.url)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('data-run-state="open"')
    expect(html).toContain(`action="/l/${runId}"`)
    const submitted = await fetch(run.body.link.url, {
      method: 'POST',
      body: new URLSearchParams({ scenario: 'watchlist_hit' }),
      redirect: 'manual',
    })
    expect(submitted.status).toBe(302)
    expect(submitted.headers.get('location')).toBe('https://app.example.test/done')
    const after = await onfido.call('GET', `/v3.6/workflow_runs/${runId}`)
    expect(after.body.status).toBe('review')
    const again = await fetch(run.body.link.url)
    expect(await again.text()).toContain('data-run-state="done"')
  })

  it('shows a thank-you page without a redirect URL, and an expired link redirects to expired_redirect_url', async () => {
    const onfido = await startOnfido()
    const plain = await onfido.createRun()
    const link = `${onfido.server.url}/l/${plain.runId}`
    const done = await fetch(link, { method: 'POST', body: new URLSearchParams({}) })
    expect(await done.text()).toContain('data-run-state="done"')
    expect((await onfido.call('GET', `/v3.6/workflow_runs/${plain.runId}`)).body.status).toBe('approved')
    const expiring = await onfido.createRun('Testperson-Approve', {
      link: { expires_at: '2030-01-01T00:10:00Z', expired_redirect_url: 'https://app.example.test/expired' },
    })
    await onfido.clock.advance(10 * 60 * 1000)
    const expired = await fetch(`${onfido.server.url}/l/${expiring.runId}`, { redirect: 'manual' })
    expect(expired.status).toBe(302)
    expect(expired.headers.get('location')).toBe('https://app.example.test/expired')
    expect((await fetch(`${onfido.server.url}/l/6c0a4b1e-6a0f-4f43-9d5e-2f7b8c9d0e1f`)).status).toBe(404)
  })
})
