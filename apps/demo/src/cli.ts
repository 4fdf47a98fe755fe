#!/usr/bin/env node
/**
 * `pnpm demo`: runs the scenario catalogue through Jumio, Persona and Onfido and compares them, in the
 * terminal and in a web page. See README.md for the flags.
 *
 * @packageDocumentation
 */
import { runDemo } from './main.js'

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

const code = await runDemo({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  untilInterrupted,
})
// Exit explicitly: keep-alive sockets or timers of a closed simulator must not hold the process open.
process.exitCode = code
process.stdout.write('', () => process.exit(code))
