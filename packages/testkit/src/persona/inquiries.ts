import type { PersonaApp, PersonaRouteContext } from './context.js'

/** Registers Persona's inquiries endpoints (work in progress). */
export function registerInquiryRoutes(_app: PersonaApp, _context: PersonaRouteContext): void {}
