import { describeAdapterConformance } from '@openkyc/testkit'
import { acmeTestCredentials, createAcme, createAcmeDriver } from '../src/index.js'

describeAdapterConformance({
  name: 'acme',
  createAdapter: (context) => createAcme({ ...acmeTestCredentials, ...context }),
  driver: createAcmeDriver,
})
