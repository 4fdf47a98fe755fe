import { describeAdapterConformance } from '@openkyc/testkit'
import { acmeTestCredentials, createAcme, createAcmeDriver } from '../src/index.js'

// Acme's lite plan: no per-check results (checks derived), a reviewer's verdict only by webhook, and
// a read that takes two requests. The driver declares the first two; the suite measures the third.
describeAdapterConformance({
  name: 'acme lite',
  createAdapter: (context) => createAcme({ ...acmeTestCredentials, ...context, plan: 'lite' }),
  driver: () => createAcmeDriver({ plan: 'lite' }),
})
