import { createMemoryStore } from '@openkyc/core'
import { describeStoreConformance } from '../src/store-conformance/index.js'

describeStoreConformance({ name: 'memory', createStore: () => createMemoryStore() })
