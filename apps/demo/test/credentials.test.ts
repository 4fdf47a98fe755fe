import { describe, expect, it } from 'vitest'
import { DemoConfigurationError, resolveProviderModes } from '../src/credentials.js'

const both = ['jumio', 'persona', 'onfido'] as const

function failure(run: () => unknown): DemoConfigurationError {
  try {
    run()
  } catch (error) {
    if (error instanceof DemoConfigurationError) return error
    throw error
  }
  throw new Error('expected a DemoConfigurationError')
}

describe('resolveProviderModes', () => {
  it('uses the simulators when no credentials are set', () => {
    expect(resolveProviderModes(both, {})).toEqual({
      jumio: 'simulator',
      persona: 'simulator',
      onfido: 'simulator',
    })
  })

  it('uses the real API of each provider whose credentials are complete', () => {
    const env = {
      JUMIO_CLIENT_ID: 'client',
      JUMIO_CLIENT_SECRET: 'secret-value-123',
      JUMIO_USER_AGENT: 'Acme Onboarding/1.0',
      JUMIO_REGION: 'emea-1',
    }
    expect(resolveProviderModes(both, env)).toEqual({
      jumio: 'live',
      persona: 'simulator',
      onfido: 'simulator',
    })
    expect(
      resolveProviderModes(both, { PERSONA_API_KEY: 'persona_sandbox_key', PERSONA_TEMPLATE_ID: 'itmpl_1' }),
    ).toEqual({ jumio: 'simulator', persona: 'live', onfido: 'simulator' })
    expect(
      resolveProviderModes(['onfido'], {
        ONFIDO_API_TOKEN: 'api_sandbox.token',
        ONFIDO_WORKFLOW_ID: 'workflow',
      }),
    ).toEqual({ jumio: 'simulator', persona: 'simulator', onfido: 'live' })
  })

  it('names what a half-configured Onfido lacks, never a value', () => {
    const error = failure(() =>
      resolveProviderModes(['onfido'], { ONFIDO_API_TOKEN: 'api_sandbox.secret-123' }),
    )
    expect(error.message).toContain('ONFIDO_WORKFLOW_ID')
    expect(error.message).not.toContain('secret-123')
  })

  it('accepts explicit Jumio hosts instead of a region', () => {
    const env = {
      JUMIO_CLIENT_ID: 'client',
      JUMIO_CLIENT_SECRET: 'secret',
      JUMIO_USER_AGENT: 'Acme/1.0',
      JUMIO_AUTH_URL: 'https://auth.example.test',
      JUMIO_ACCOUNT_URL: 'https://account.example.test',
      JUMIO_RETRIEVAL_URL: 'https://retrieval.example.test',
    }
    expect(resolveProviderModes(['jumio'], env).jumio).toBe('live')
  })

  it('names the missing variable when credentials are partial, in one line and without values', () => {
    const error = failure(() =>
      resolveProviderModes(both, {
        JUMIO_CLIENT_ID: 'client-id-value',
        JUMIO_USER_AGENT: 'Acme/1.0',
        JUMIO_REGION: 'amer-1',
      }),
    )
    expect(error.message).toBe(
      'Jumio credentials are incomplete: set JUMIO_CLIENT_SECRET (found JUMIO_CLIENT_ID), or unset JUMIO_CLIENT_ID and JUMIO_CLIENT_SECRET to use the simulator.',
    )
    expect(error.message).not.toContain('client-id-value')
  })

  it('lists every missing Jumio setting, including the region or hosts', () => {
    const error = failure(() => resolveProviderModes(['jumio'], { JUMIO_CLIENT_SECRET: 's3cr3t' }))
    expect(error.message).toContain(
      'set JUMIO_CLIENT_ID and JUMIO_USER_AGENT and JUMIO_REGION (or JUMIO_AUTH_URL, JUMIO_ACCOUNT_URL and JUMIO_RETRIEVAL_URL)',
    )
    expect(error.message).not.toContain('s3cr3t')
  })

  it('treats a Persona template without an API key as partial', () => {
    const error = failure(() => resolveProviderModes(both, { PERSONA_TEMPLATE_ID: 'itmpl_1' }))
    expect(error.message).toMatch(
      /^Persona credentials are incomplete: set PERSONA_API_KEY \(found PERSONA_TEMPLATE_ID\)/,
    )
  })

  it('treats blank variables as unset', () => {
    expect(resolveProviderModes(both, { PERSONA_API_KEY: '  ', JUMIO_CLIENT_ID: '' })).toEqual({
      jumio: 'simulator',
      persona: 'simulator',
      onfido: 'simulator',
    })
  })

  it('ignores the credentials of providers not asked for', () => {
    expect(resolveProviderModes(['persona'], { JUMIO_CLIENT_ID: 'client' })).toEqual({
      jumio: 'simulator',
      persona: 'simulator',
      onfido: 'simulator',
    })
  })
})
