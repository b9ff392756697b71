// The one place the admin API logs from: maintenance changes and throttled addresses, never a token.
// Kept to one function so that it can be routed to a configurable logger.

/** Logs one admin event; `message` names the source address and never carries a credential. */
export function adminLog(message: string): void {
  console.warn(`healthgate: ${message}`)
}
