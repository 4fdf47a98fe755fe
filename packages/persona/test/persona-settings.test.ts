import { KycConfigurationError } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { createPersona } from '../src/index.js'
import { resolvePersonaSettings } from '../src/persona-settings.js'

const apiKey = 'persona_sandbox_0123456789abcdef'
const templateId = 'itmpl_ABC123'

function configurationError(run: () => unknown): KycConfigurationError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(KycConfigurationError)
    return error as KycConfigurationError
  }
  throw new Error('expected a configuration error')
}

describe('resolvePersonaSettings', () => {
  it('fills defaults', () => {
    const settings = resolvePersonaSettings({ apiKey, templateId, env: {} })
    expect(settings).toMatchObject({
      apiVersion: '2023-01-05',
      baseUrl: 'https://api.withpersona.com/api/v1',
      hostedFlowUrl: 'https://inquiry.withpersona.com/verify',
      handoff: 'one-time-link',
      webhookSecrets: [],
      webhookToleranceSeconds: 300,
      decisionPolicy: { completedMeans: 'pending' },
      rateLimit: { requests: 300, intervalMs: 60_000 },
      sandbox: true,
    })
  })

  it('falls back to the environment', () => {
    const settings = resolvePersonaSettings({
      env: {
        PERSONA_API_KEY: 'persona_production_abc',
        PERSONA_TEMPLATE_ID: 'itmplv_XYZ',
        PERSONA_API_VERSION: '2025-12-08',
        PERSONA_WEBHOOK_SECRETS: 'wbhsec_new, wbhsec_old',
        PERSONA_BASE_URL: 'http://127.0.0.1:4010/api/v1/',
        PERSONA_CASE_TEMPLATE_ID: 'ctmpl_1',
        PERSONA_HANDOFF: 'session-token',
        PERSONA_COMPLETED_MEANS: 'review',
      },
    })
    expect(settings).toMatchObject({
      apiKey: 'persona_production_abc',
      templateId: 'itmplv_XYZ',
      apiVersion: '2025-12-08',
      webhookSecrets: ['wbhsec_new', 'wbhsec_old'],
      baseUrl: 'http://127.0.0.1:4010/api/v1',
      caseTemplateId: 'ctmpl_1',
      handoff: 'session-token',
      decisionPolicy: { completedMeans: 'review' },
      sandbox: false,
    })
  })

  it('reads a single PERSONA_WEBHOOK_SECRET, and code wins over the environment', () => {
    expect(
      resolvePersonaSettings({ apiKey, templateId, env: { PERSONA_WEBHOOK_SECRET: 'wbhsec_one' } })
        .webhookSecrets,
    ).toEqual(['wbhsec_one'])
    expect(
      resolvePersonaSettings({
        apiKey,
        templateId,
        webhookSecrets: 'wbhsec_code',
        env: { PERSONA_WEBHOOK_SECRETS: 'wbhsec_env' },
      }).webhookSecrets,
    ).toEqual(['wbhsec_code'])
  })

  it('names the missing setting and its environment variable', () => {
    const error = configurationError(() => resolvePersonaSettings({ env: {} }))
    expect(error.message).toContain('apiKey')
    expect(error.message).toContain('PERSONA_API_KEY')
    expect(error.message).toContain('templateId')
    expect(error.message).toContain('PERSONA_TEMPLATE_ID')
  })

  it('never echoes a value, not even an invalid one', () => {
    const secretLooking = 'persona_production_SUPERSECRET'
    const error = configurationError(() =>
      resolvePersonaSettings({
        apiKey: secretLooking,
        templateId: 'wbhsec_NOT_A_TEMPLATE',
        baseUrl: 'ftp://persona_production_SUPERSECRET@example.com',
        env: {},
      }),
    )
    expect(error.message).toContain('templateId')
    expect(error.message).toContain('baseUrl')
    const serialized = `${error.message} ${JSON.stringify(error)}`
    expect(serialized).not.toContain('SUPERSECRET')
    expect(serialized).not.toContain('wbhsec_NOT_A_TEMPLATE')
  })

  // Fails on main before issue 12: such a key passed and the first request threw a raw TypeError
  // quoting `Bearer <key>`.
  it.each([
    'persona_sandbox_ab\ncd',
    'persona_sandbox_ab\r\nX-Evil: 1',
    'persona_sandbox_ab\u0000cd',
    'persona_sandbox_äb',
  ])(
    'refuses an API key that cannot be a header value (%j) at creation, naming only the setting',
    (hostileKey) => {
      const error = configurationError(() =>
        resolvePersonaSettings({ apiKey: hostileKey, templateId, env: {} }),
      )
      expect(error.message).toContain('apiKey')
      expect(error.message).not.toContain('persona_sandbox_ab')
      const fromEnvironment = configurationError(() =>
        resolvePersonaSettings({ templateId, env: { PERSONA_API_KEY: hostileKey } }),
      )
      expect(fromEnvironment.message).toContain('PERSONA_API_KEY')
      expect(JSON.stringify(fromEnvironment)).not.toContain('persona_sandbox_ab')
    },
  )

  // Fails on main before issue 12: createPersona accepted such a clock and every webhook timestamp
  // then passed the tolerance check.
  it.each([() => Number.NaN, () => 'soon' as unknown as number, () => undefined as unknown as number])(
    'createPersona refuses a clock that tells no time (%#)',
    (now) => {
      const error = configurationError(() => createPersona({ apiKey, templateId, env: {}, now }))
      expect(error.message).toContain('now')
    },
  )

  it('rejects unknown enum values and bad numbers by name', () => {
    const error = configurationError(() =>
      resolvePersonaSettings({
        apiKey,
        templateId,
        handoff: 'carrier-pigeon' as never,
        decisionPolicy: { completedMeans: 'maybe' as never },
        requestsPerMinute: 0,
        env: {},
      }),
    )
    expect(error.message).toContain('handoff')
    expect(error.message).toContain('completedMeans')
    expect(error.message).toContain('requestsPerMinute')
  })
})
