import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  capabilityMethods,
  capabilityOf,
  enforceCapabilities,
  type KycAdapter,
  type KycCapabilities,
  type KycCapability,
  KycConfigurationError,
  KycUnsupportedCapabilityError,
  kycCapabilities,
} from '../src/index.js'

const none = Object.fromEntries(kycCapabilities.map((capability) => [capability, false])) as KycCapabilities

function adapterWith(
  capabilities: Partial<KycCapabilities>,
  methods: Record<string, unknown> = {},
): KycAdapter {
  return {
    specificationVersion: 'v1',
    provider: 'acme',
    capabilities: { ...none, ...capabilities },
    createVerification: vi.fn(),
    getVerification: vi.fn(),
    parseWebhook: vi.fn(),
    ...methods,
  } as KycAdapter
}

/** A spy for every optional method, so undeclared calls can be proven never to reach the adapter. */
function allMethodSpies(): Record<string, ReturnType<typeof vi.fn>> {
  return Object.fromEntries(
    kycCapabilities.flatMap((capability) => capabilityMethods[capability].map((method) => [method, vi.fn()])),
  )
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('enforceCapabilities', () => {
  it.each(kycCapabilities)(
    'undeclared %s: every method throws KycUnsupportedCapabilityError, the adapter is never invoked, no fetch happens',
    async (capability: KycCapability) => {
      const fetch = vi.fn()
      vi.stubGlobal('fetch', fetch)
      const spies = allMethodSpies()
      const enforced = enforceCapabilities(adapterWith({}, spies))
      for (const method of capabilityMethods[capability]) {
        const call = (enforced[method] as (options: unknown) => Promise<unknown>)({})
        await expect(call).rejects.toBeInstanceOf(KycUnsupportedCapabilityError)
        await expect(call).rejects.toMatchObject({
          capability,
          provider: 'acme',
          code: 'unsupported_capability',
        })
        expect(spies[method]).not.toHaveBeenCalled()
      }
      expect(fetch).not.toHaveBeenCalled()
    },
  )

  it.each(kycCapabilities)(
    'declared %s without its methods: KycConfigurationError naming the method',
    (capability) => {
      expect(() => enforceCapabilities(adapterWith({ [capability]: true }))).toThrow(KycConfigurationError)
      expect(() => enforceCapabilities(adapterWith({ [capability]: true }))).toThrow(
        new RegExp(`"${capability}" capability but has no ${capabilityMethods[capability][0]}\\(\\)`),
      )
    },
  )

  it('declared capabilities call through to the adapter with its own this', async () => {
    const adapter = {
      ...adapterWith({ cancel: true }),
      label: 'acme-instance',
      async cancelVerification(this: { label: string }, options: unknown) {
        return { options, label: this.label }
      },
    }
    const enforced = enforceCapabilities(adapter as unknown as KycAdapter)
    await expect(enforced.cancelVerification({ reference: { id: 'v1' } })).resolves.toEqual({
      options: { reference: { id: 'v1' } },
      label: 'acme-instance',
    })
  })

  it('passes the required methods through', async () => {
    const adapter = adapterWith({})
    const enforced = enforceCapabilities(adapter)
    await enforced.getVerification({ reference: { id: 'v1' } })
    expect(adapter.getVerification).toHaveBeenCalledWith({ reference: { id: 'v1' } })
    expect(enforced.capabilities).toBe(adapter.capabilities)
  })

  it('rejects another specification version', () => {
    const adapter = { ...adapterWith({}), specificationVersion: 'v2' } as unknown as KycAdapter
    expect(() => enforceCapabilities(adapter)).toThrow(KycConfigurationError)
  })

  it('capabilityOf maps methods to their capability and required methods to nothing', () => {
    expect(capabilityOf('importListItems')).toBe('lists')
    expect(capabilityOf('reviewVerification')).toBe('manualReview')
    expect(capabilityOf('getVerification')).toBeUndefined()
  })
})
