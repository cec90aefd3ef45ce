import { z } from 'zod';

/**
 * What a member of an organisation may do, decided once for every service: feed (events,
 * members), purchase (orders, refunds, check-in). An owner runs the organisation, a manager
 * runs its events and their money, door staff only admit tickets.
 */
export const MemberRole = z.enum(['owner', 'manager', 'door']);
export type MemberRole = z.infer<typeof MemberRole>;

export type Permission =
  | 'events.read'
  | 'events.write'
  | 'orders.read'
  | 'orders.export'
  | 'orders.refund'
  | 'checkin'
  | 'members.read'
  | 'members.manage';

const GRANTS: Record<MemberRole, ReadonlySet<Permission>> = {
  owner: new Set<Permission>([
    'events.read',
    'events.write',
    'orders.read',
    'orders.export',
    'orders.refund',
    'checkin',
    'members.read',
    'members.manage',
  ]),
  manager: new Set<Permission>([
    'events.read',
    'events.write',
    'orders.read',
    'orders.export',
    'orders.refund',
    'checkin',
    'members.read',
  ]),
  door: new Set<Permission>(['events.read', 'checkin']),
};

/** Whether a member with `role` may do `permission`; a platform admin may do everything. */
export function can(role: MemberRole | 'admin', permission: Permission): boolean {
  return role === 'admin' || GRANTS[role].has(permission);
}

/** What each permission is called in a refusal ("A door member cannot refund orders."). */
export const PERMISSION_LABELS: Record<Permission, string> = {
  'events.read': 'see events',
  'events.write': 'change events',
  'orders.read': 'see orders',
  'orders.export': 'export orders',
  'orders.refund': 'refund orders',
  checkin: 'check tickets in',
  'members.read': 'see the team',
  'members.manage': 'manage the team',
};

/** Settings an organisation's owners choose, which other services act on. */
export const OrganisationSettings = z.object({
  /**
   * When a payment is refunded outside TicketSlave (Stripe's dashboard) or disputed, its
   * tickets are void either way; this says whether their seats go back on sale.
   */
  releaseSeatsOnExternalRefund: z.boolean(),
});
export type OrganisationSettings = z.infer<typeof OrganisationSettings>;
