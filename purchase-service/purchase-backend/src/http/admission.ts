import type { Request, Response } from 'express';
import {
  admissionCookie,
  ForbiddenError,
  sessionOf,
  type AdmissionClaims,
  type SessionClaims,
  type TokenVerifier,
} from '@ticketslave/common';

/**
 * The fan's admission to this event's purchase window, checked against queue's keys:
 * it must be for this event and belong to the logged-in fan (a cookie copied from
 * another fan's browser is refused).
 */
export async function admittedFan(
  verifier: TokenVerifier,
  req: Request,
  res: Response,
  eventId: string,
): Promise<{ session: SessionClaims; admission: AdmissionClaims & { exp: number } }> {
  const session = sessionOf(res);
  const cookies = (req.cookies ?? {}) as Record<string, string | undefined>;
  const admission = await verifier.verify('admission', cookies[admissionCookie(eventId)]);
  if (admission.evt !== eventId)
    throw new ForbiddenError('This admission is for another event.', 'wrong_event');
  if (admission.sub !== session.sub)
    throw new ForbiddenError('This admission belongs to someone else.', 'not_your_admission');
  return { session, admission };
}
