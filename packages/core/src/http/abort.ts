/**
 * Waits `ms` milliseconds, or rejects with `signal.reason` as soon as `signal` aborts. The shape every
 * injected `sleep` must have, so that aborting a call also ends the wait between two attempts.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>

/**
 * The default {@link Sleep}: a real timer. Written by hand instead of `node:timers/promises` so the HTTP
 * policy runs unchanged on Bun, Deno and edge runtimes, and rejects with the caller's own abort reason.
 */
export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as `signal` aborts, whichever comes
 * first. Lets a caller leave a queue without waiting for its turn.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * Makes `controller` abort, with the same reason, when `signal` does: its signal then stands for "either
 * one aborted", as `AbortSignal.any([signal, controller.signal])` would, which Node 20 has only from 20.3.
 * Returns the function that stops following; call it once the work is over, so a long-lived caller
 * signal does not keep the controller reachable.
 */
export function followAbort(controller: AbortController, signal: AbortSignal | undefined): () => void {
  if (signal === undefined) return () => undefined
  if (signal.aborted) {
    controller.abort(signal.reason)
    return () => undefined
  }
  const onAbort = () => controller.abort(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}
