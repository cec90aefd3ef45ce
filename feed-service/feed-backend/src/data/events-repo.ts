import { enqueueMessages, NotFoundError, queryOne, queryRows, type Queryable } from '@ticketslave/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventInput, EventRecord } from '../domain/event-rules';
import type { AuditActor, AuditEntry, EventChange, EventStore } from '../domain/organiser-events';

export interface EventRow {
  id: string;
  organiser_id: string;
  organisation_id: string | null;
  status: EventRecord['status'];
  version: number;
  title: string;
  artist: string;
  description: string;
  venue: string;
  city: string;
  starts_at: Date | null;
  sale_starts_at: Date | null;
  buffer_grace_seconds: number;
  queue: EventRecord['queue'];
  hold_seconds: number;
  per_user_limit: number;
  poster_url: string | null;
  categories: EventRecord['categories'];
  cancel_reason: string | null;
  time_zone: string;
  doors_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const EVENT_COLUMNS = `id, organiser_id, organisation_id, status, version, title, artist, description, venue, city, starts_at,
  sale_starts_at, buffer_grace_seconds, queue, hold_seconds, per_user_limit, poster_url, categories, cancel_reason,
  time_zone, doors_at, created_at, updated_at`;

export const toEventRecord = (r: EventRow): EventRecord => ({
  id: r.id,
  organiserId: r.organiser_id,
  organisationId: r.organisation_id,
  status: r.status,
  version: r.version,
  title: r.title,
  artist: r.artist,
  description: r.description,
  venue: r.venue,
  city: r.city,
  startsAt: r.starts_at?.toISOString() ?? null,
  saleStartsAt: r.sale_starts_at?.toISOString() ?? null,
  bufferGraceSeconds: r.buffer_grace_seconds,
  queue: r.queue,
  holdSeconds: r.hold_seconds,
  perUserLimit: r.per_user_limit,
  posterUrl: r.poster_url,
  categories: r.categories,
  cancelReason: r.cancel_reason,
  timeZone: r.time_zone,
  doorsAt: r.doors_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const inputParams = (e: EventInput) => [
  e.title,
  e.artist,
  e.description,
  e.venue,
  e.city,
  e.startsAt,
  e.saleStartsAt,
  e.bufferGraceSeconds,
  JSON.stringify(e.queue),
  e.holdSeconds,
  e.perUserLimit,
  JSON.stringify(e.categories),
  e.timeZone,
  e.doorsAt,
];

async function addAudit(db: Queryable, eventId: string, actor: AuditActor, action: string, details: object) {
  await db.query(
    `INSERT INTO event_audit (event_id, actor_id, actor_role, action, details) VALUES ($1, $2, $3, $4, $5)`,
    [eventId, actor.id, actor.role, action, JSON.stringify(details)],
  );
}

export class PgEventStore implements EventStore {
  /** `onWrite` runs after every write transaction ends (committed or not): the public page cache drops its pages. */
  constructor(
    private readonly ds: DataSource,
    private readonly onWrite: () => void = () => undefined,
  ) {}

  private async write<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.ds.transaction(fn);
    } finally {
      this.onWrite();
    }
  }

  async create(
    organisationId: string,
    actor: AuditActor,
    input: EventInput,
    details: Record<string, unknown> = {},
  ): Promise<EventRecord> {
    return this.write(async (em) => {
      const row = await queryOne<EventRow>(
        em,
        `INSERT INTO events (organiser_id, organisation_id, title, artist, description, venue, city, starts_at,
           sale_starts_at, buffer_grace_seconds, queue, hold_seconds, per_user_limit, categories, time_zone, doors_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING ${EVENT_COLUMNS}`,
        [actor.id, organisationId, ...inputParams(input)],
      );
      await addAudit(em, row!.id, actor, 'created', { title: input.title, ...details });
      return toEventRecord(row!);
    });
  }

  async get(id: string): Promise<EventRecord | undefined> {
    const row = await queryOne<EventRow>(this.ds, `SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1`, [id]);
    return row && toEventRecord(row);
  }

  async listByOrganisations(organisationIds: string[] | null, creatorId: string): Promise<EventRecord[]> {
    const rows = await queryRows<EventRow>(
      this.ds,
      `SELECT ${EVENT_COLUMNS} FROM events
       WHERE $1::uuid[] IS NULL OR organisation_id = ANY($1::uuid[])
          OR (organisation_id IS NULL AND organiser_id = $2)
       ORDER BY created_at DESC LIMIT 500`,
      [organisationIds, creatorId],
    );
    return rows.map(toEventRecord);
  }

  async deleteDraft(id: string): Promise<boolean> {
    // Its audit entries go with it (ON DELETE CASCADE): a draft was never public.
    return this.write(async (em) => {
      const rows = await queryRows(em, `DELETE FROM events WHERE id = $1 AND status = 'draft' RETURNING 1`, [
        id,
      ]);
      return rows.length > 0;
    });
  }

  async change(
    id: string,
    actor: AuditActor,
    fn: (current: EventRecord) => EventChange,
  ): Promise<EventRecord> {
    return this.write(async (em) => {
      const row = await queryOne<EventRow>(
        em,
        `SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (!row) throw new NotFoundError('No such event.', 'event_not_found');
      const current = toEventRecord(row);
      const { next, messages, audit } = fn(current);
      if (audit === null) return current;
      const saved = await queryOne<EventRow>(
        em,
        `UPDATE events SET title = $2, artist = $3, description = $4, venue = $5, city = $6, starts_at = $7,
           sale_starts_at = $8, buffer_grace_seconds = $9, queue = $10, hold_seconds = $11, per_user_limit = $12,
           categories = $13, time_zone = $14, doors_at = $15, status = $16, version = $17, poster_url = $18,
           cancel_reason = $19, updated_at = now()
         WHERE id = $1 RETURNING ${EVENT_COLUMNS}`,
        [id, ...inputParams(next), next.status, next.version, next.posterUrl, next.cancelReason],
      );
      await enqueueMessages(em, messages);
      await addAudit(em, id, actor, audit.action, audit.details ?? {});
      return toEventRecord(saved!);
    });
  }

  async audit(id: string): Promise<AuditEntry[]> {
    const rows = await queryRows<{
      id: string;
      actor_id: string;
      email: string | null;
      actor_role: string | null;
      action: string;
      details: object;
      at: Date;
    }>(
      this.ds,
      `SELECT a.id, a.actor_id, u.email, a.actor_role, a.action, a.details, a.at
       FROM event_audit a LEFT JOIN users u ON u.id = a.actor_id
       WHERE a.event_id = $1 ORDER BY a.id DESC LIMIT 500`,
      [id],
    );
    return rows.map((r) => ({
      id: String(r.id),
      actorId: r.actor_id,
      actorEmail: r.email,
      actorRole: r.actor_role,
      action: r.action,
      details: r.details as Record<string, unknown>,
      at: r.at.toISOString(),
    }));
  }
}
