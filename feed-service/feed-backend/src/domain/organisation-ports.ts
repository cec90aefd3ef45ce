import type { MemberRole, OrganisationSettings, OutgoingMessage } from '@ticketslave/common';

export interface Membership {
  organisationId: string;
  name: string;
  role: MemberRole;
}

export interface Member {
  userId: string;
  email: string;
  role: MemberRole;
  since: string;
}

/** An organisation as the other services hear of it: name, settings and who holds which role. */
export interface OrganisationState {
  id: string;
  name: string;
  settings: OrganisationSettings;
  version: number;
  members: { userId: string; role: MemberRole }[];
}

export interface Invitation {
  id: string;
  organisationId: string;
  organisationName: string;
  email: string;
  role: MemberRole;
  invitedByEmail: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
  revokedAt: string | null;
}

export type ExpectedAudience = 'up_to_500' | 'up_to_5000' | 'up_to_50000' | 'more';

export interface ApplicationInput {
  organisationName: string;
  contactName: string;
  phone: string;
  website: string;
  expectedAudience: ExpectedAudience;
  message: string;
}

export interface Application extends ApplicationInput {
  id: string;
  userId: string;
  email: string;
  status: 'pending' | 'approved' | 'rejected';
  decisionReason: string | null;
  decidedAt: string | null;
  organisationId: string | null;
  createdAt: string;
}

export interface OrganisationAuditEntry {
  id: string;
  actorId: string | null;
  actorEmail: string | null;
  action: string;
  details: Record<string, unknown>;
  at: string;
}

/** One transaction over organisations: the domain composes these steps, the store commits them together. */
export interface OrganisationTx {
  /** Locks the organisation's row: changes to one team take turns (last-owner checks hold). */
  lock(organisationId: string): Promise<OrganisationState | undefined>;
  create(name: string, createdBy: string): Promise<string>;
  rename(organisationId: string, name: string, settings: OrganisationSettings): Promise<void>;
  roleIn(organisationId: string, userId: string): Promise<MemberRole | undefined>;
  /** Adds the member or changes their role. */
  putMember(organisationId: string, userId: string, role: MemberRole): Promise<void>;
  removeMember(organisationId: string, userId: string): Promise<boolean>;
  membershipCount(userId: string): Promise<number>;
  /** Gives a fan the dashboard (role organiser); admins and organisers keep theirs. */
  promoteToOrganiser(userId: string): Promise<void>;
  /** Back to fan once the last membership is gone (admins stay admins). */
  demoteIfNoMemberships(userId: string): Promise<void>;
  /** Replaces an open invitation of the same address. */
  insertInvitation(i: {
    organisationId: string;
    email: string;
    role: MemberRole;
    tokenHash: string;
    invitedBy: string;
    expiresAt: Date;
  }): Promise<string>;
  invitationByTokenHash(tokenHash: string, lock: boolean): Promise<Invitation | undefined>;
  markInvitationAccepted(id: string, userId: string, at: Date): Promise<void>;
  revokeInvitation(organisationId: string, id: string, at: Date): Promise<boolean>;
  /**
   * The new application; `pending` when the person already has one waiting, `no_account`
   * when the account is gone (deleted while a session of it was still valid).
   */
  insertApplication(userId: string, a: ApplicationInput): Promise<Application | 'pending' | 'no_account'>;
  lockApplication(id: string): Promise<Application | undefined>;
  decideApplication(
    id: string,
    d: {
      status: 'approved' | 'rejected';
      reason: string | null;
      decidedBy: string;
      organisationId: string | null;
    },
  ): Promise<Application>;
  audit(
    organisationId: string,
    actorId: string | null,
    action: string,
    details: Record<string, unknown>,
  ): Promise<void>;
  /** Bumps the version and returns what to announce; `markAnnounced` records that it was enqueued. */
  nextVersion(organisationId: string): Promise<OrganisationState>;
  enqueue(messages: OutgoingMessage[]): Promise<void>;
  markAnnounced(organisationId: string, version: number): Promise<void>;
}

export interface OrganisationStore {
  transaction<T>(fn: (tx: OrganisationTx) => Promise<T>): Promise<T>;
  membershipsOf(userId: string): Promise<Membership[]>;
  roleIn(organisationId: string, userId: string): Promise<MemberRole | undefined>;
  state(organisationId: string): Promise<OrganisationState | undefined>;
  members(organisationId: string): Promise<Member[]>;
  openInvitations(organisationId: string, now: Date): Promise<Invitation[]>;
  invitationByTokenHash(tokenHash: string): Promise<Invitation | undefined>;
  audit(organisationId: string): Promise<OrganisationAuditEntry[]>;
  applicationsOf(userId: string): Promise<Application[]>;
  applications(status: Application['status'] | undefined, limit: number): Promise<Application[]>;
  /** Organisations whose last change has not been announced yet (after a migration, a crash). */
  unannounced(limit: number): Promise<string[]>;
  userByEmail(email: string): Promise<{ id: string; email: string; role: string } | undefined>;
}
