import type { PersonaApp, PersonaRouteContext } from './context.js'

/** Registers Persona's verifications endpoints (work in progress). */
export function registerVerificationRoutes(_app: PersonaApp, _context: PersonaRouteContext): void {}
