import type { PersonaApp, PersonaRouteContext } from './context.js'

/** Registers Persona's events endpoints (work in progress). */
export function registerEventRoutes(_app: PersonaApp, _context: PersonaRouteContext): void {}
