import {
  ConflictError,
  envelope,
  ForbiddenError,
  InputError,
  NotFoundError,
  type Clock,
  type FieldError,
  type OutgoingMessage,
  type SessionClaims,
} from '@ticketslave/common';
import {
  categoryProblems,
  publishProblems,
  removedSeatProblems,
  snapshotOf,
  type EventInput,
  type EventRecord,
} from './event-rules';

export interface AuditEntry {
  id: string;
  actorId: string;
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

/** Persistence for organiser actions; `change` runs `fn` on the locked row and commits row, outbox and audit together. */
export interface EventStore {
  create(organiserId: string, input: EventInput): Promise<EventRecord>;
  get(id: string): Promise<EventRecord | undefined>;
  listByOrganiser(organiserId: string | null): Promise<EventRecord[]>;
  change(id: string, actorId: string, fn: (current: EventRecord) => EventChange): Promise<EventRecord>;
  audit(id: string): Promise<AuditEntry[]>;
}

export type Actor = Pick<SessionClaims, 'sub' | 'role'>;

const invalid = (message: string, problems: FieldError[], code = 'invalid_event') =>
  new InputError(`${problems[0]?.path}: ${problems[0]?.message ?? message}`, problems, code);

/** The organiser's side of an event's life: draft → published → cancelled, each step audited. */
export class OrganiserEvents {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, input: EventInput): Promise<EventRecord> {
    const problems = categoryProblems(input.categories);
    if (problems.length) throw invalid('invalid categories', problems);
    return this.store.create(actor.sub, input);
  }

  list = (actor: Actor) => this.store.listByOrganiser(actor.role === 'admin' ? null : actor.sub);

  async get(actor: Actor, id: string): Promise<EventRecord> {
    const event = await this.store.get(id);
    if (!event) throw new NotFoundError('No such event.', 'event_not_found');
    if (event.organiserId !== actor.sub && actor.role !== 'admin')
      throw new ForbiddenError('Only the event’s organiser or an admin can do this.', 'not_your_event');
    return event;
  }

  async audit(actor: Actor, id: string): Promise<AuditEntry[]> {
    await this.get(actor, id);
    return this.store.audit(id);
  }

  async edit(actor: Actor, id: string, input: EventInput): Promise<EventRecord> {
    await this.get(actor, id);
    return this.store.change(id, actor.sub, (current) => {
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
    await this.get(actor, id);
    return this.store.change(id, actor.sub, (current) => {
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
    await this.get(actor, id);
    return this.store.change(id, actor.sub, (current) => {
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
    await this.get(actor, id);
    return this.store.change(id, actor.sub, (current) => {
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
