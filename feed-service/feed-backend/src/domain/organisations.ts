import { createHash, randomBytes } from 'node:crypto';
import {
  can,
  ConflictError,
  envelope,
  ForbiddenError,
  GoneError,
  NotFoundError,
  PERMISSION_LABELS,
  type Clock,
  type Logger,
  type MemberRole,
  type OrganisationSettings,
  type Permission,
  type SessionClaims,
} from '@ticketslave/common';
import type { Mail, Mailer } from './account-ports';
import type { Invitation, OrganisationStore, OrganisationTx } from './organisation-ports';

export type Actor = Pick<SessionClaims, 'sub' | 'role' | 'email'>;

const INVITATION_TTL_MS = 7 * 24 * 3600_000;
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const ROLE_NAMES: Record<MemberRole, string> = {
  owner: 'owner (everything, including the team)',
  manager: 'manager (events, orders and refunds)',
  door: 'door staff (check-in only)',
};

/**
 * Records the organisation's new state and its announcement in the caller's transaction:
 * purchase learns from `organisation.updated` who may see orders, refund and check in.
 */
export async function announce(tx: OrganisationTx, organisationId: string, now: Date): Promise<void> {
  const s = await tx.nextVersion(organisationId);
  await tx.enqueue([
    {
      topic: 'organisation.updated',
      envelope: envelope(
        'organisation.updated',
        { organisationId: s.id, version: s.version, name: s.name, settings: s.settings, members: s.members },
        now,
      ),
    },
  ]);
  await tx.markAnnounced(s.id, s.version);
}

/** A new organisation with its first owner, announced (approval of an application, the admin command). */
export async function createOrganisation(
  tx: OrganisationTx,
  o: { name: string; ownerId: string; actorId: string | null; now: Date; details?: Record<string, unknown> },
): Promise<string> {
  const id = await tx.create(o.name, o.ownerId);
  await tx.putMember(id, o.ownerId, 'owner');
  await tx.promoteToOrganiser(o.ownerId);
  await tx.audit(id, o.actorId, 'organisation_created', { name: o.name, ownerId: o.ownerId, ...o.details });
  await announce(tx, id, o.now);
  return id;
}

export interface OrganisationDeps {
  store: OrganisationStore;
  mailer: Mailer;
  clock: Clock;
  logger: Logger;
  publicBaseUrl: string;
}

/** Teams: who belongs to an organisation, in which role, and how people join it. */
export class Organisations {
  constructor(private readonly d: OrganisationDeps) {}

  mine = (actor: Actor) => this.d.store.membershipsOf(actor.sub);

  /** The actor's role in the organisation; another organisation is "not found", as if it did not exist. */
  async roleOf(actor: Actor, organisationId: string): Promise<MemberRole | 'admin'> {
    if (actor.role === 'admin') {
      if (!(await this.d.store.state(organisationId)))
        throw new NotFoundError('No such organisation.', 'organisation_not_found');
      return 'admin';
    }
    const role = await this.d.store.roleIn(organisationId, actor.sub);
    if (!role) throw new NotFoundError('No such organisation.', 'organisation_not_found');
    return role;
  }

  async require(actor: Actor, organisationId: string, permission: Permission): Promise<MemberRole | 'admin'> {
    const role = await this.roleOf(actor, organisationId);
    if (!can(role, permission)) throw forbidden(role, permission);
    return role;
  }

  async view(actor: Actor, organisationId: string) {
    const role = await this.roleOf(actor, organisationId);
    const state = (await this.d.store.state(organisationId))!;
    return {
      id: state.id,
      name: state.name,
      settings: state.settings,
      myRole: role,
      members: can(role, 'members.read') ? await this.d.store.members(organisationId) : null,
      invitations: can(role, 'members.manage')
        ? await this.d.store.openInvitations(organisationId, this.d.clock.now())
        : null,
    };
  }

  async update(
    actor: Actor,
    organisationId: string,
    input: { name: string; settings: OrganisationSettings },
  ) {
    await this.require(actor, organisationId, 'members.manage');
    await this.d.store.transaction(async (tx) => {
      const before = await tx.lock(organisationId);
      if (!before) throw new NotFoundError('No such organisation.', 'organisation_not_found');
      if (before.name === input.name && sameSettings(before.settings, input.settings)) return;
      await tx.rename(organisationId, input.name, input.settings);
      await tx.audit(organisationId, actor.sub, 'organisation_updated', {
        name: input.name,
        settings: input.settings,
      });
      await announce(tx, organisationId, this.d.clock.now());
    });
    return this.view(actor, organisationId);
  }

  async audit(actor: Actor, organisationId: string) {
    await this.require(actor, organisationId, 'members.read');
    return this.d.store.audit(organisationId);
  }

  /** Mails a link to join; inviting the same address again replaces the open invitation. */
  async invite(actor: Actor, organisationId: string, email: string, role: MemberRole): Promise<Invitation> {
    await this.require(actor, organisationId, 'members.manage');
    const token = randomBytes(32).toString('base64url');
    const now = this.d.clock.now();
    const invitation = await this.d.store.transaction(async (tx) => {
      const org = await tx.lock(organisationId);
      if (!org) throw new NotFoundError('No such organisation.', 'organisation_not_found');
      const user = await this.d.store.userByEmail(email);
      if (user && org.members.some((m) => m.userId === user.id))
        throw new ConflictError(`${email} is already a member of ${org.name}.`, 'already_member');
      const id = await tx.insertInvitation({
        organisationId,
        email,
        role,
        tokenHash: hashToken(token),
        invitedBy: actor.sub,
        expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      });
      await tx.audit(organisationId, actor.sub, 'member_invited', { email, role, invitationId: id });
      return (await tx.invitationByTokenHash(hashToken(token), false))!;
    });
    this.deliver({
      to: email,
      subject: `Join ${invitation.organisationName} on TicketSlave`,
      text:
        `${actor.email} invited you to join ${invitation.organisationName} on TicketSlave as ${ROLE_NAMES[role]}.\n\n` +
        `Accept within 7 days:\n\n${this.link(`/feed/invitations/accept?token=${token}`)}\n\n` +
        `Sign in (or register) with this address, ${email}, to accept. ` +
        `If you did not expect this, ignore the message.\n`,
    });
    return invitation;
  }

  async revokeInvitation(actor: Actor, organisationId: string, invitationId: string): Promise<void> {
    await this.require(actor, organisationId, 'members.manage');
    await this.d.store.transaction(async (tx) => {
      if (!(await tx.revokeInvitation(organisationId, invitationId, this.d.clock.now())))
        throw new NotFoundError('No such open invitation.', 'invitation_not_found');
      await tx.audit(organisationId, actor.sub, 'invitation_revoked', { invitationId });
    });
  }

  /** What the link offers, for the page that asks to accept it. */
  async previewInvitation(token: string) {
    const inv = await this.d.store.invitationByTokenHash(hashToken(token));
    if (!inv) throw new NotFoundError('This invitation link is not valid.', 'invitation_not_found');
    return {
      organisationName: inv.organisationName,
      role: inv.role,
      email: inv.email,
      invitedByEmail: inv.invitedByEmail,
      expiresAt: inv.expiresAt,
      status: this.invitationStatus(inv),
    };
  }

  async acceptInvitation(actor: Actor, token: string) {
    const now = this.d.clock.now();
    return this.d.store.transaction(async (tx) => {
      const inv = await tx.invitationByTokenHash(hashToken(token), true);
      if (!inv) throw new NotFoundError('This invitation link is not valid.', 'invitation_not_found');
      if (inv.email !== actor.email.toLowerCase())
        throw new ForbiddenError(
          `This invitation is for ${inv.email}; sign in with that address to accept it.`,
          'invitation_for_another_address',
        );
      const status = this.invitationStatus(inv);
      const org = await tx.lock(inv.organisationId);
      if (!org) throw new NotFoundError('This invitation link is not valid.', 'invitation_not_found');
      const existing = org.members.find((m) => m.userId === actor.sub);
      if (status === 'accepted' && existing)
        return { organisationId: org.id, name: org.name, role: existing.role };
      if (status !== 'open')
        throw new GoneError(`This invitation was ${status}; ask for a new one.`, `invitation_${status}`);
      await tx.markInvitationAccepted(inv.id, actor.sub, now);
      // A member who accepts another invitation keeps the role they have.
      if (existing) return { organisationId: org.id, name: org.name, role: existing.role };
      await tx.putMember(org.id, actor.sub, inv.role);
      await tx.promoteToOrganiser(actor.sub);
      await tx.audit(org.id, actor.sub, 'member_joined', { role: inv.role, invitationId: inv.id });
      await announce(tx, org.id, now);
      return { organisationId: org.id, name: org.name, role: inv.role };
    });
  }

  async changeRole(actor: Actor, organisationId: string, userId: string, role: MemberRole): Promise<void> {
    await this.require(actor, organisationId, 'members.manage');
    await this.d.store.transaction(async (tx) => {
      const org = await tx.lock(organisationId);
      const member = org?.members.find((m) => m.userId === userId);
      if (!org || !member) throw new NotFoundError('No such member.', 'member_not_found');
      if (member.role === role) return;
      if (member.role === 'owner') lastOwnerGuard(org.members, userId);
      await tx.putMember(organisationId, userId, role);
      await tx.audit(organisationId, actor.sub, 'member_role_changed', {
        userId,
        from: member.role,
        to: role,
      });
      await announce(tx, organisationId, this.d.clock.now());
    });
  }

  /** Owners remove anyone; every member may leave. The last owner can do neither. */
  async removeMember(actor: Actor, organisationId: string, userId: string): Promise<void> {
    if (userId !== actor.sub) await this.require(actor, organisationId, 'members.manage');
    else await this.roleOf(actor, organisationId);
    await this.d.store.transaction(async (tx) => {
      const org = await tx.lock(organisationId);
      const member = org?.members.find((m) => m.userId === userId);
      if (!org || !member) throw new NotFoundError('No such member.', 'member_not_found');
      if (member.role === 'owner') lastOwnerGuard(org.members, userId);
      await tx.removeMember(organisationId, userId);
      await tx.demoteIfNoMemberships(userId);
      await tx.audit(organisationId, actor.sub, userId === actor.sub ? 'member_left' : 'member_removed', {
        userId,
        role: member.role,
      });
      await announce(tx, organisationId, this.d.clock.now());
    });
  }

  /** Announces organisations whose change was never announced (migrated ones, on the first start). */
  async announcePending(): Promise<number> {
    let count = 0;
    for (;;) {
      const ids = await this.d.store.unannounced(100);
      if (!ids.length) return count;
      for (const id of ids)
        await this.d.store.transaction(async (tx) => {
          if (await tx.lock(id)) await announce(tx, id, this.d.clock.now());
        });
      count += ids.length;
    }
  }

  private invitationStatus(inv: Invitation): 'open' | 'accepted' | 'revoked' | 'expired' {
    if (inv.acceptedAt) return 'accepted';
    if (inv.revokedAt) return 'revoked';
    if (Date.parse(inv.expiresAt) <= this.d.clock.now().getTime()) return 'expired';
    return 'open';
  }

  private deliver(mail: Mail): void {
    sendInBackground(this.d.mailer, this.d.logger, mail);
  }

  private link(path: string): string {
    return new URL(path, this.d.publicBaseUrl).toString();
  }
}

/** Mail goes out after the answer: SMTP's pace must not hold up the request. */
export function sendInBackground(mailer: Mailer, logger: Logger, mail: Mail): void {
  mailer.send(mail).catch((err: unknown) => logger.error({ err, to: mail.to }, 'mail not sent'));
}

export function forbidden(role: MemberRole | 'admin', permission: Permission): ForbiddenError {
  return new ForbiddenError(
    `${role === 'door' ? 'Door staff' : `A ${role}`} cannot ${PERMISSION_LABELS[permission]}.`,
    'role_forbids',
  );
}

function lastOwnerGuard(members: { userId: string; role: MemberRole }[], leaving: string): void {
  if (!members.some((m) => m.role === 'owner' && m.userId !== leaving))
    throw new ConflictError('An organisation needs an owner: make someone else owner first.', 'last_owner');
}

const sameSettings = (a: OrganisationSettings, b: OrganisationSettings) =>
  a.releaseSeatsOnExternalRefund === b.releaseSeatsOnExternalRefund;
