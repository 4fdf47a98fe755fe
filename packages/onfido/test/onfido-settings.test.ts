import { isKycError } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { createOnfido, onfidoBaseUrl, resolveOnfidoSettings } from '../src/index.js'
import { ids } from './fixtures.js'

const env = { ONFIDO_API_TOKEN: 'api_sandbox.from-env', ONFIDO_WORKFLOW_ID: ids.workflow }

describe('resolveOnfidoSettings', () => {
  it('reads ONFIDO_* fallbacks and picks the regional host', () => {
    const settings = resolveOnfidoSettings({
      env: { ...env, ONFIDO_REGION: 'us', ONFIDO_WEBHOOK_TOKENS: 'one, two,,' },
    })
    expect(settings).toMatchObject({
      apiToken: 'api_sandbox.from-env',
      region: 'us',
      baseUrl: 'https://api.us.onfido.com/v3.6',
      workflowId: ids.workflow,
      webhookTokens: ['one', 'two'],
      checkReportNames: ['document', 'facial_similarity_photo'],
      rateLimit: { requests: 400, intervalMs: 60_000 },
      sandbox: true,
    })
    expect(['eu', 'us', 'ca'].map((region) => onfidoBaseUrl(region as 'eu'))).toEqual([
      'https://api.eu.onfido.com/v3.6',
      'https://api.us.onfido.com/v3.6',
      'https://api.ca.onfido.com/v3.6',
    ])
  })

  it('takes ONFIDO_WEBHOOK_TOKEN when ONFIDO_WEBHOOK_TOKENS is not set, and options over the environment', () => {
    expect(resolveOnfidoSettings({ env: { ...env, ONFIDO_WEBHOOK_TOKEN: 'single' } }).webhookTokens).toEqual([
      'single',
    ])
    const settings = resolveOnfidoSettings({
      env,
      apiToken: 'api_live.option',
      baseUrl: 'http://127.0.0.1:4010/v3.6/',
      rateLimit: false,
    })
    expect(settings).toMatchObject({
      apiToken: 'api_live.option',
      baseUrl: 'http://127.0.0.1:4010/v3.6',
      rateLimit: false,
      sandbox: false,
    })
  })

  it('names each missing or invalid setting and its variable, never a value', () => {
    const missing = (() => {
      try {
        resolveOnfidoSettings({ env: {} })
      } catch (error) {
        return error
      }
    })()
    expect(isKycError(missing) && missing.code).toBe('configuration')
    expect((missing as Error).message).toContain('ONFIDO_API_TOKEN')
    expect((missing as Error).message).toContain('ONFIDO_WORKFLOW_ID')
    expect(() => createOnfido({ env: { ...env, ONFIDO_REGION: 'mars' } })).toThrow(/ONFIDO_REGION/)
    // A token that would break the Authorization header is refused at creation, without echoing it.
    expect(() => createOnfido({ env, apiToken: 'api_sandbox.abc\r\nX-Evil: 1' })).toThrow(/apiToken/)
    expect(() => createOnfido({ env, apiToken: 'api_sandbox.abc\r\nX-Evil: 1' })).not.toThrow(/X-Evil/)
    const invalidWorkflow = (() => {
      try {
        resolveOnfidoSettings({ env: { ...env, ONFIDO_WORKFLOW_ID: 'secret-looking-value' } })
      } catch (error) {
        return error
      }
    })()
    expect((invalidWorkflow as Error).message).toContain('ONFIDO_WORKFLOW_ID')
    expect((invalidWorkflow as Error).message).not.toContain('secret-looking-value')
  })

  it('keeps the token and webhook tokens off the adapter settings', () => {
    const adapter = createOnfido({ env: { ...env, ONFIDO_WEBHOOK_TOKENS: 'whtoken' } })
    expect(adapter.settings.webhookTokenCount).toBe(1)
    expect(JSON.stringify(adapter.settings)).not.toMatch(/from-env|whtoken/)
  })
})
