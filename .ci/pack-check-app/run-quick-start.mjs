// Runs the root README's quick start (quick-start.ts, compiled here) against a simulator, as an
// application that installed the packed tarballs would: the provider comes from KYC_PROVIDER, the
// adapter's settings from the environment. Then the applicant submits the simulator's hosted flow, the
// webhook reaches the quick start's handler, and the handler saves the decision.

import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { createJumioSimulator, jumioSimulatorClient } from '@openkyc/simulator-jumio'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import ts from 'typescript'

const provider = process.argv[2]
if (provider !== 'persona' && provider !== 'jumio')
  throw new Error('usage: node run-quick-start.mjs persona|jumio')

// The application's side of the quick start.
const redirects = []
const saved = []
let handler
/** The handler's answer to each webhook delivery, in order. */
const answers = []
globalThis.redirect = (url) => redirects.push(url)
globalThis.app = { post: (_path, route) => (handler = route) }
globalThis.save = async (verification) => saved.push(verification)

// The webhook endpoint the provider posts to: Node's HTTP in, a Web Request to the quick start's handler.
const receiver = createServer(async (incoming, outgoing) => {
  // Before step 2 registered the handler (Persona announces the new inquiry at once): retry later.
  if (handler === undefined) return outgoing.writeHead(503, { 'retry-after': '1' }).end()
  const chunks = []
  for await (const chunk of incoming) chunks.push(chunk)
  const request = new Request(`http://127.0.0.1${incoming.url}`, {
    method: incoming.method,
    headers: Object.entries(incoming.headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
    ),
    body: Buffer.concat(chunks),
  })
  const response = await handler(request)
  answers.push(response.status)
  outgoing.writeHead(response.status, Object.fromEntries(response.headers))
  outgoing.end(Buffer.from(await response.arrayBuffer()))
})
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve))
const webhookUrl = `http://127.0.0.1:${receiver.address().port}/webhooks/kyc`

// The simulator, and the environment the adapter reads (as the README's "swap by KYC_PROVIDER" says).
let simulator
let server
if (provider === 'persona') {
  const secret = 'wbhsec_pack_check'
  simulator = createPersonaSimulator({ webhook: { secret, url: webhookUrl } })
  server = await simulator.listen()
  Object.assign(process.env, {
    KYC_PROVIDER: 'persona',
    PERSONA_API_KEY: 'persona_sandbox_pack_check',
    PERSONA_TEMPLATE_ID: 'itmpl_pack_check',
    PERSONA_WEBHOOK_SECRET: secret,
    PERSONA_BASE_URL: `${server.url}/api/v1`,
  })
} else {
  simulator = createJumioSimulator({ callbacks: { target: { url: webhookUrl } } })
  server = await simulator.listen({ port: 0 })
  Object.assign(process.env, {
    KYC_PROVIDER: 'jumio',
    JUMIO_CLIENT_ID: jumioSimulatorClient.id,
    JUMIO_CLIENT_SECRET: jumioSimulatorClient.secret,
    JUMIO_AUTH_URL: server.url,
    JUMIO_ACCOUNT_URL: server.url,
    JUMIO_API_URL: server.url,
    JUMIO_RETRIEVAL_URL: server.url,
    JUMIO_USER_AGENT: 'OpenKYC pack-check/1.0',
  })
}

// The quick start itself, compiled as written (top-level await: steps 1 to 3 run on import).
const source = await readFile('quick-start.ts', 'utf8')
const { outputText } = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
})
await writeFile('quick-start.mjs', outputText)
await import('./quick-start.mjs')

const fail = (message) => {
  console.error(`pack-check (${provider}): ${message}`)
  process.exit(1)
}
if (redirects.length !== 1 || typeof redirects[0] !== 'string')
  fail('step 1 did not hand out a hosted-flow URL')
if (handler === undefined) fail('step 2 registered no webhook handler')

// The applicant completes the hosted flow the quick start redirected to (the simulator's page, as a
// browser would submit it); the provider's webhook then reaches the handler, which saves the decision.
const decode = (value) =>
  value.replace(/&#(\d+);/g, (_match, code) => String.fromCharCode(Number(code))).replaceAll('&amp;', '&')
const before = answers.length
const page = await fetch(redirects[0])
const html = await page.text()
const form = /<form[^>]*action="([^"]+)"[^>]*>/.exec(html)
if (form === null) fail('the hosted flow shows no form')
const fields = new FormData()
for (const input of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
  fields.set(input[1], decode(input[2]))
fields.set('scenario', 'clean_approve')
fields.set('action', 'submit')
const multipart = /enctype="multipart\/form-data"/.test(form[0])
const submitted = await fetch(new URL(decode(form[1]), page.url), {
  method: 'POST',
  body: multipart ? fields : new URLSearchParams([...fields].map(([name, value]) => [name, String(value)])),
  redirect: 'manual',
})
if (submitted.status >= 400) fail(`the hosted flow refused the submission (${submitted.status})`)

// Generous: the quick start's store is PGlite, slow on a loaded CI machine. Whatever the quick start
// does with an event (save it, insert a row), its handler must answer the decision's delivery with 200.
const deadline = Date.now() + 120_000
while (!answers.slice(before).includes(200) && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 100))
}
if (!answers.slice(before).includes(200)) {
  fail(
    `the quick start's webhook handler answered no delivery with 200 (answers: ${answers.join(', ') || 'none'})`,
  )
}
console.log(
  `pack-check (${provider}): quick start ran; hosted flow submitted; webhook answers ${answers.slice(before).join(', ')}`,
)

await server.close()
await new Promise((resolve) => receiver.close(resolve))
process.exit(0)
