import { createMemoryStore } from '@openkyc/core'
import { describeStoreConformance } from '../src/store-conformance/index.js'

describeStoreConformance({ name: 'memory', createStore: () => createMemoryStore(), rawArchive: true })

describeStoreConformance({
  name: 'memory, 4 audit chains',
  createStore: () => createMemoryStore({ auditChains: 4 }),
  auditChains: 4,
})
