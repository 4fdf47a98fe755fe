import type { PersonaApp, PersonaRouteContext } from './context.js'

/** Registers Persona's accounts endpoints (work in progress). */
export function registerAccountRoutes(_app: PersonaApp, _context: PersonaRouteContext): void {}
