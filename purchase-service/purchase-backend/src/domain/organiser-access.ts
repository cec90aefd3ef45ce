import {
  can,
  ForbiddenError,
  NotFoundError,
  PERMISSION_LABELS,
  type MemberRole,
  type Permission,
  type Role,
} from '@ticketslave/common';
import type { PurchaseStore } from './ports';

/** Who is asking: the session's user and platform role. */
export interface Member {
  sub: string;
  email: string;
  role: Role;
}

/**
 * The member's role on an event if it allows `permission`: another organisation's event (or
 * one that does not exist) is 404, a role without the permission 403. The roles are feed's,
 * as its last organisation.updated said; a platform admin may do everything.
 */
export async function requireOnEvent(
  s: Pick<PurchaseStore, 'organisations' | 'events'>,
  who: Member,
  eventId: string,
  permission: Permission,
): Promise<MemberRole | 'admin'> {
  const role =
    who.role === 'admin'
      ? (await s.events.get(eventId)) && ('admin' as const)
      : await s.organisations.roleOnEvent(eventId, who.sub);
  if (!role) throw new NotFoundError('No such event.', 'event_not_found');
  if (!can(role, permission))
    throw new ForbiddenError(
      `${role === 'door' ? 'Door staff' : `A ${role}`} cannot ${PERMISSION_LABELS[permission]}.`,
      'role_forbids',
    );
  return role;
}
