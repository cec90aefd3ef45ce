import {
  can,
  ConflictError,
  envelope,
  ForbiddenError,
  InputError,
  NotFoundError,
  type Clock,
  type FieldError,
  type MemberRole,
  type OutgoingMessage,
  type Permission,
  type SessionClaims,
} from '@ticketslave/common';
import type { Membership } from './organisation-ports';
import { forbidden } from './organisations';
import {
  categoryProblems,
  EventInput,
  publishProblems,
  removedSeatProblems,
  snapshotOf,
  type EventRecord,
} from './event-rules';

export interface AuditEntry {
  id: string;
  actorId: string;
  /** Who acted, by address, and in which role (their role in the organisation, or admin). */
  actorEmail: string | null;
  actorRole: string | null;
  action: string;
  details: Record<string, unknown>;
  at: string;
}

export interface EventChange {
  next: EventRecord;
  messages: OutgoingMessage[];
  /** null: nothing changed, so nothing is written, emitted or audited. */
  audit: { action: string; details?: Record<string, unknown> } | null;
}

/** Who did it, for the audit log. */
export interface AuditActor {
  id: string;
  role: MemberRole | 'admin';
}

/** Persistence for organiser actions; `change` runs `fn` on the locked row and commits row, outbox and audit together. */
export interface EventStore {
  create(
    organisationId: string,
    actor: AuditActor,
    input: EventInput,
    details?: Record<string, unknown>,
  ): Promise<EventRecord>;
  get(id: string): Promise<EventRecord | undefined>;
  /** Events of these organisations (every event for `null`: an admin), newest first. */
  listByOrganisations(organisationIds: string[] | null, creatorId: string): Promise<EventRecord[]>;
  change(id: string, actor: AuditActor, fn: (current: EventRecord) => EventChange): Promise<EventRecord>;
  /** Deletes a draft (and its audit); false when it is no longer a draft. */
  deleteDraft(id: string): Promise<boolean>;
  audit(id: string): Promise<AuditEntry[]>;
}

/** Who may act on which organisation's events (the organisation store). */
export interface MemberDirectory {
  membershipsOf(userId: string): Promise<Membership[]>;
  roleIn(organisationId: string, userId: string): Promise<MemberRole | undefined>;
  organisationExists(organisationId: string): Promise<boolean>;
}

export type Actor = Pick<SessionClaims, 'sub' | 'role'>;

const invalid = (message: string, problems: FieldError[], code = 'invalid_event') =>
  new InputError(`${problems[0]?.path}: ${problems[0]?.message ?? message}`, problems, code);

/**
 * The organiser's side of an event's life: draft → published → cancelled, each step audited
 * with the member who took it. Members act on their organisation's events by role; another
 * organisation's event answers 404, as if it did not exist.
 */
export class OrganiserEvents {
  constructor(
    private readonly store: EventStore,
    private readonly members: MemberDirectory,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, organisationId: string | undefined, input: EventInput): Promise<EventRecord> {
    const orgId = organisationId ?? (await this.onlyWritableOrganisation(actor));
    const role = await this.roleIn(actor, orgId);
    // An admin acts in any organisation, but only in one that exists.
    if (!role || (role === 'admin' && !(await this.members.organisationExists(orgId))))
      throw new NotFoundError('No such organisation.', 'organisation_not_found');
    if (!can(role, 'events.write')) throw forbidden(role, 'events.write');
    const problems = categoryProblems(input.categories);
    if (problems.length) throw invalid('invalid categories', problems);
    return this.store.create(orgId, { id: actor.sub, role }, input);
  }

  /** Every event of the actor's organisations (all of them for an admin), with the actor's role in each. */
  async list(actor: Actor): Promise<(EventRecord & { myRole: MemberRole | 'admin' })[]> {
    if (actor.role === 'admin')
      return (await this.store.listByOrganisations(null, actor.sub)).map((e) => ({
        ...e,
        myRole: 'admin' as const,
      }));
    const memberships = await this.members.membershipsOf(actor.sub);
    const roles = new Map(memberships.map((m) => [m.organisationId, m.role]));
    const events = await this.store.listByOrganisations([...roles.keys()], actor.sub);
    return events.map((e) => ({ ...e, myRole: e.organisationId ? roles.get(e.organisationId)! : 'owner' }));
  }

  /** The event and the actor's role in its organisation, if it may do `permission`. */
  async access(actor: Actor, id: string, permission: Permission) {
    const event = await this.store.get(id);
    const role = event && (await this.roleOnEvent(actor, event));
    if (!event || !role) throw new NotFoundError('No such event.', 'event_not_found');
    if (!can(role, permission)) throw forbidden(role, permission);
    return { event, role };
  }

  async get(actor: Actor, id: string): Promise<EventRecord & { myRole: MemberRole | 'admin' }> {
    const { event, role } = await this.access(actor, id, 'events.read');
    return { ...event, myRole: role };
  }

  async audit(actor: Actor, id: string): Promise<AuditEntry[]> {
    await this.access(actor, id, 'events.write');
    return this.store.audit(id);
  }

  /** A new draft with the same details and seating (a tour's next date), in the same organisation. */
  async duplicate(actor: Actor, id: string): Promise<EventRecord> {
    const { event, role } = await this.access(actor, id, 'events.write');
    const { organisationId } = event;
    if (!organisationId)
      throw new ConflictError(
        'This event has no organisation yet; try again in a moment.',
        'no_organisation',
      );
    const input = EventInput.parse({ ...event, title: `${event.title} (copy)`.slice(0, 200) });
    return this.store.create(organisationId, { id: actor.sub, role }, input, { duplicateOf: id });
  }

  /** Drafts were never public, so they can go without a trace; anything published is cancelled instead. */
  async deleteDraft(actor: Actor, id: string): Promise<void> {
    await this.access(actor, id, 'events.write');
    if (!(await this.store.deleteDraft(id)))
      throw new ConflictError(
        'Only a draft can be deleted; cancel a published event instead.',
        'not_a_draft',
      );
  }

  async edit(actor: Actor, id: string, input: EventInput): Promise<EventRecord> {
    const { role } = await this.access(actor, id, 'events.write');
    return this.store.change(id, { id: actor.sub, role }, (current) => {
      if (current.status === 'cancelled')
        throw new ConflictError('A cancelled event cannot change.', 'event_cancelled');
      const changed = changedFields(current, input);
      // Saving an unchanged form (the dashboard saves before publishing) is not an edit.
      if (changed.length === 0) return { next: current, messages: [], audit: null };
      const next: EventRecord = { ...current, ...input, updatedAt: this.clock.now().toISOString() };
      if (current.status === 'draft') {
        const problems = categoryProblems(input.categories);
        if (problems.length) throw invalid('invalid categories', problems);
        return {
          next,
          messages: [],
          audit: { action: 'edited', details: { changed } },
        };
      }
      const problems = [
        ...publishProblems(input, new Date(0)),
        ...removedSeatProblems(current.categories, input.categories),
      ];
      if (problems.length) throw invalid('invalid edit', problems);
      next.version = current.version + 1;
      return {
        next,
        messages: [this.message('event.updated', next)],
        audit: {
          action: 'edited',
          details: { changed, version: next.version },
        },
      };
    });
  }

  async publish(actor: Actor, id: string): Promise<EventRecord> {
    const { role } = await this.access(actor, id, 'events.write');
    return this.store.change(id, { id: actor.sub, role }, (current) => {
      if (current.status !== 'draft')
        throw new ConflictError(
          `The event is ${current.status}; only a draft can be published.`,
          'not_a_draft',
        );
      const problems = publishProblems(current, this.clock.now());
      if (problems.length) throw invalid('cannot publish', problems, 'not_publishable');
      const next: EventRecord = { ...current, status: 'published', version: current.version + 1 };
      return {
        next,
        messages: [this.message('event.published', next)],
        audit: { action: 'published', details: { version: next.version } },
      };
    });
  }

  async cancel(actor: Actor, id: string, reason: string): Promise<EventRecord> {
    const { role } = await this.access(actor, id, 'events.write');
    return this.store.change(id, { id: actor.sub, role }, (current) => {
      if (current.status === 'cancelled')
        throw new ConflictError('The event is already cancelled.', 'event_cancelled');
      const next: EventRecord = { ...current, status: 'cancelled', cancelReason: reason };
      // Nobody outside feed knows a draft, so only a published event's cancellation is announced.
      const messages =
        current.status === 'published'
          ? [
              {
                topic: 'event.cancelled' as const,
                key: id,
                envelope: envelope('event.cancelled', { eventId: id, reason }, this.clock.now()),
              },
            ]
          : [];
      return { next, messages, audit: { action: 'cancelled', details: { reason } } };
    });
  }

  async setPoster(actor: Actor, id: string, posterUrl: string): Promise<EventRecord> {
    const { role } = await this.access(actor, id, 'events.write');
    return this.store.change(id, { id: actor.sub, role }, (current) => {
      if (current.status === 'cancelled')
        throw new ConflictError('A cancelled event cannot change.', 'event_cancelled');
      const next: EventRecord = { ...current, posterUrl };
      if (current.status === 'draft')
        return { next, messages: [], audit: { action: 'poster_uploaded', details: { posterUrl } } };
      next.version = current.version + 1;
      return {
        next,
        messages: [this.message('event.updated', next)],
        audit: { action: 'poster_uploaded', details: { posterUrl, version: next.version } },
      };
    });
  }

  private async roleIn(actor: Actor, organisationId: string): Promise<MemberRole | 'admin' | undefined> {
    return actor.role === 'admin' ? 'admin' : this.members.roleIn(organisationId, actor.sub);
  }

  /** An event from before organisations (or made by a feed of the previous release) belongs to its creator. */
  private async roleOnEvent(actor: Actor, e: EventRecord): Promise<MemberRole | 'admin' | undefined> {
    if (e.organisationId) return this.roleIn(actor, e.organisationId);
    if (actor.role === 'admin') return 'admin';
    return e.organiserId === actor.sub ? 'owner' : undefined;
  }

  private async onlyWritableOrganisation(actor: Actor): Promise<string> {
    const writable = (await this.members.membershipsOf(actor.sub)).filter((m) => can(m.role, 'events.write'));
    if (writable.length === 1) return writable[0]!.organisationId;
    if (writable.length === 0)
      throw new ForbiddenError(
        'Only members of an organisation (owners and managers) create events; apply to organise first.',
        'not_an_organiser',
      );
    throw new InputError('organisationId: choose the organisation this event belongs to', [
      { path: 'organisationId', message: 'choose the organisation this event belongs to' },
    ]);
  }

  private message(topic: 'event.published' | 'event.updated', e: EventRecord): OutgoingMessage {
    return { topic, envelope: envelope(topic, snapshotOf(e), this.clock.now()) };
  }
}

function changedFields(before: EventInput, after: EventInput): string[] {
  return (Object.keys(after) as (keyof EventInput)[]).filter(
    (k) => canonical(before[k]) !== canonical(after[k]),
  );
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A value's JSON with object keys sorted and times as epoch milliseconds, so that
 * jsonb's key order or `…:00Z` against `…:00.000Z` is not taken for a change.
 */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string' && ISO_TIME.test(v)) return { t: Date.parse(v) };
    if (v && typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return v;
  });
}
