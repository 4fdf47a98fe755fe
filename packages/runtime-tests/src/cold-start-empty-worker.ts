/** workerd's own start-up: a Worker that imports nothing, subtracted from the other cold-start Workers. */
export default {
  fetch: (): Response => new Response('empty'),
}
