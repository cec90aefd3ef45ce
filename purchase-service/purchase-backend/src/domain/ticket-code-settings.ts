import { CODE_PERIOD_SECONDS } from '@ticketslave/contracts';
import { requireOnEvent, type Member } from './organiser-access';
import type { PurchaseStore, Transact } from './ports';

export interface TicketCodeSettings {
  /** How often a ticket's live code changes. */
  periodSeconds: number;
  /** Whether the door also accepts the ticket's static code (printed); off by default. */
  staticCodes: boolean;
}

/** The event's ticket-code settings, for the members who may see the event. */
export async function ticketCodeSettings(
  s: PurchaseStore,
  who: Member,
  eventId: string,
): Promise<TicketCodeSettings> {
  await requireOnEvent(s, who, eventId, 'events.read');
  const c = (await s.events.codeSettings(eventId))!;
  return { periodSeconds: CODE_PERIOD_SECONDS, staticCodes: c.staticCodes };
}

/**
 * Lets the door accept static, printable codes for the event (owners and managers). Off,
 * only live codes admit: a screenshot or a printout is refused as expired. Door devices
 * learn it at their next sync.
 */
export async function setStaticCodes(
  tx: Transact,
  who: Member,
  eventId: string,
  allowed: boolean,
): Promise<TicketCodeSettings> {
  return tx(async (s) => {
    await requireOnEvent(s, who, eventId, 'events.write');
    await s.events.setStaticCodes(eventId, allowed);
    return { periodSeconds: CODE_PERIOD_SECONDS, staticCodes: allowed };
  });
}
