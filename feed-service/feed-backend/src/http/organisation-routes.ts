import { z } from 'zod';
import {
  clientIp,
  noContent,
  MemberRole,
  OrganisationSettings,
  rateLimit,
  sessionGuard,
  sessionOf,
  type ApiRouter,
  type TokenVerifier,
} from '@ticketslave/common';
import type { Onboarding } from '../domain/onboarding';
import type { Organisations } from '../domain/organisations';

const OrgParams = z.object({ orgId: z.uuid('an organisation id') });
const Email = z
  .email('a valid e-mail address')
  .max(254)
  .transform((e) => e.trim().toLowerCase());
const Token = z.string().min(20).max(200);
const Name = z.string().trim().min(2, 'at least 2 characters').max(120, 'at most 120 characters');

const Membership = z
  .object({ organisationId: z.string(), name: z.string(), role: MemberRole })
  .meta({ id: 'Membership' });
const Invitation = z
  .object({
    id: z.string(),
    organisationId: z.string(),
    organisationName: z.string(),
    email: z.string(),
    role: MemberRole,
    invitedByEmail: z.string(),
    createdAt: z.string(),
    expiresAt: z.string(),
    acceptedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'Invitation' });
const OrganisationView = z
  .object({
    id: z.string(),
    name: z.string(),
    settings: OrganisationSettings,
    myRole: z.union([MemberRole, z.literal('admin')]),
    members: z
      .array(z.object({ userId: z.string(), email: z.string(), role: MemberRole, since: z.string() }))
      .nullable(),
    invitations: z.array(Invitation).nullable(),
  })
  .meta({ id: 'Organisation' });
const OrganisationAudit = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      actorId: z.string().nullable(),
      actorEmail: z.string().nullable(),
      action: z.string(),
      details: z.record(z.string(), z.unknown()),
      at: z.string(),
    }),
  ),
});

const Audience = z.enum(['up_to_500', 'up_to_5000', 'up_to_50000', 'more'], {
  message: 'choose how many people you expect',
});
const ApplicationBody = z.object({
  organisationName: Name,
  contactName: Name,
  phone: z
    .string()
    .trim()
    .max(40, 'at most 40 characters')
    .regex(/^[0-9+()\-\s./]*$/, 'digits, spaces and + ( ) - . / only')
    .default(''),
  website: z
    .string()
    .trim()
    .max(300, 'at most 300 characters')
    .refine(
      (v) => v === '' || /^https?:\/\/[^\s/]+\.[^\s]+$/i.test(v),
      'a web address such as https://example.org',
    )
    .default(''),
  expectedAudience: Audience,
  message: z.string().trim().max(2000, 'at most 2,000 characters').default(''),
});
const Application = ApplicationBody.extend({
  id: z.string(),
  userId: z.string(),
  email: z.string(),
  status: z.enum(['pending', 'approved', 'rejected']),
  decisionReason: z.string().nullable(),
  decidedAt: z.string().nullable(),
  organisationId: z.string().nullable(),
  createdAt: z.string(),
}).meta({ id: 'Application' });

export interface OrganisationRouteDeps {
  organisations: Organisations;
  onboarding: Onboarding;
  sessions: TokenVerifier;
}

/** Teams (owners manage members and invitations), invitations, and applying to organise. */
export function registerOrganisationRoutes(api: ApiRouter, d: OrganisationRouteDeps): void {
  const { organisations: orgs, onboarding } = d;
  const member = sessionGuard(d.sessions, { verifiedEmail: true });
  const admin = sessionGuard(d.sessions, { verifiedEmail: true, roles: ['admin'] });
  const perUser = (name: string, capacity: number, refillPerSecond: number) =>
    rateLimit({
      name,
      capacity,
      refillPerSecond,
      key: (req) => (req.res?.locals.session as { sub?: string } | undefined)?.sub,
    });
  const o = {
    auth: 'session' as const,
    tags: ['organisations'],
    before: [member, perUser('organisation-user', 60, 1)],
  };
  // Each invitation and application is an e-mail: a few per minute is plenty for a person.
  const mailing = {
    auth: 'session' as const,
    tags: ['organisations'],
    before: [member, perUser('organisation-mail', 20, 0.1)],
  };

  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/organisations',
      summary: 'The organisations I belong to, with my role',
      response: z.object({ items: z.array(Membership) }),
    },
    async ({ res }) => ({ items: await orgs.mine(sessionOf(res)) }),
  );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/organisations/:orgId',
      summary: 'An organisation: settings, members (owners and managers), open invitations (owners)',
      params: OrgParams,
      response: OrganisationView,
    },
    ({ params, res }) => orgs.view(sessionOf(res), params.orgId),
  );
  api.route(
    {
      ...o,
      method: 'put',
      path: '/organiser/organisations/:orgId',
      summary: 'Rename, change settings (owners); announced to the other services',
      params: OrgParams,
      body: z.object({ name: Name, settings: OrganisationSettings }),
      response: OrganisationView,
    },
    ({ params, body, res }) => orgs.update(sessionOf(res), params.orgId, body),
  );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/organisations/:orgId/audit',
      summary: 'Who changed the team and when (owners and managers)',
      params: OrgParams,
      response: OrganisationAudit,
    },
    async ({ params, res }) => ({ items: await orgs.audit(sessionOf(res), params.orgId) }),
  );
  api.route(
    {
      ...mailing,
      method: 'post',
      path: '/organiser/organisations/:orgId/invitations',
      summary: 'Invite someone by e-mail with a role (owners)',
      params: OrgParams,
      body: z.object({ email: Email, role: MemberRole }),
      status: 201,
      response: Invitation,
    },
    ({ params, body, res }) => orgs.invite(sessionOf(res), params.orgId, body.email, body.role),
  );
  api.route(
    {
      ...o,
      method: 'delete',
      path: '/organiser/organisations/:orgId/invitations/:invitationId',
      summary: 'Withdraw an open invitation (owners)',
      params: OrgParams.extend({ invitationId: z.uuid('an invitation id') }),
      response: noContent,
    },
    ({ params, res }) => orgs.revokeInvitation(sessionOf(res), params.orgId, params.invitationId),
  );
  api.route(
    {
      ...o,
      method: 'put',
      path: '/organiser/organisations/:orgId/members/:userId',
      summary: "Change a member's role (owners; the last owner stays owner)",
      params: OrgParams.extend({ userId: z.uuid('a user id') }),
      body: z.object({ role: MemberRole }),
      response: noContent,
    },
    ({ params, body, res }) => orgs.changeRole(sessionOf(res), params.orgId, params.userId, body.role),
  );
  api.route(
    {
      ...o,
      method: 'delete',
      path: '/organiser/organisations/:orgId/members/:userId',
      summary: 'Remove a member (owners) or leave (anyone; not the last owner)',
      params: OrgParams.extend({ userId: z.uuid('a user id') }),
      response: noContent,
    },
    ({ params, res }) => orgs.removeMember(sessionOf(res), params.orgId, params.userId),
  );

  api.route(
    {
      method: 'get',
      path: '/invitations/preview',
      summary: 'What an invitation link offers (organisation, role, address, status)',
      tags: ['organisations'],
      query: z.object({ token: Token }),
      response: z.object({
        organisationName: z.string(),
        role: MemberRole,
        email: z.string(),
        invitedByEmail: z.string(),
        expiresAt: z.string(),
        status: z.enum(['open', 'accepted', 'revoked', 'expired']),
      }),
      before: [rateLimit({ name: 'invitation-preview', capacity: 30, refillPerSecond: 0.5, key: clientIp })],
    },
    ({ query }) => orgs.previewInvitation(query.token),
  );
  api.route(
    {
      ...o,
      method: 'post',
      path: '/invitations/accept',
      summary: 'Join the organisation of an invitation (signed in with the invited address)',
      body: z.object({ token: Token }),
      response: Membership,
    },
    ({ body, res }) => orgs.acceptInvitation(sessionOf(res), body.token),
  );

  api.route(
    {
      ...mailing,
      method: 'post',
      path: '/organiser-applications',
      summary: 'Apply to organise events (an admin decides)',
      body: ApplicationBody,
      status: 201,
      response: Application,
    },
    ({ body, res }) => onboarding.apply(sessionOf(res), body),
  );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser-applications/mine',
      summary: 'My applications, newest first',
      response: z.object({ items: z.array(Application) }),
    },
    async ({ res }) => ({ items: await onboarding.mine(sessionOf(res)) }),
  );
  const a = { auth: 'session' as const, tags: ['admin'], before: [admin] };
  api.route(
    {
      ...a,
      method: 'get',
      path: '/admin/organiser-applications',
      summary: 'Applications to organise (admins), pending first',
      query: z.object({ status: z.enum(['pending', 'approved', 'rejected']).optional() }),
      response: z.object({ items: z.array(Application) }),
    },
    async ({ query }) => ({ items: await onboarding.list(query.status) }),
  );
  api.route(
    {
      ...a,
      method: 'post',
      path: '/admin/organiser-applications/:id/approve',
      summary: 'Approve: the organisation is created with the applicant as owner; they are told by e-mail',
      params: z.object({ id: z.uuid('an application id') }),
      response: Application,
    },
    ({ params, res }) => onboarding.approve(sessionOf(res), params.id),
  );
  api.route(
    {
      ...a,
      method: 'post',
      path: '/admin/organiser-applications/:id/reject',
      summary: 'Reject with a reason the applicant reads in their e-mail',
      params: z.object({ id: z.uuid('an application id') }),
      body: z.object({
        reason: z.string().trim().min(10, 'say why in a sentence (10 characters or more)').max(2000),
      }),
      response: Application,
    },
    ({ params, body, res }) => onboarding.reject(sessionOf(res), params.id, body.reason),
  );
}
