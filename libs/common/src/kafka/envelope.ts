import { randomUUID } from 'node:crypto';
import { ENVELOPE_VERSION, EnvelopeSchema, PAYLOADS, type Envelope, type Payload } from './messages';
import { TOPICS, type TopicName } from './topics';

/** Builds a validated envelope; throws if the payload does not match its topic's schema. */
export function envelope<T extends TopicName>(
  type: T,
  payload: Payload<T>,
  occurredAt: Date = new Date(),
): Envelope<T> {
  const parsed = PAYLOADS[type].parse(payload) as Payload<T>;
  return {
    id: randomUUID(),
    type,
    version: ENVELOPE_VERSION,
    occurredAt: occurredAt.toISOString(),
    payload: parsed,
  };
}

export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

/** Parses raw bytes from a topic into a typed envelope, or throws PoisonMessageError. */
export function parseEnvelope<T extends TopicName>(topic: T, raw: Buffer | string | null): Envelope<T> {
  if (raw === null) throw new PoisonMessageError('empty message');
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    throw new PoisonMessageError('message is not JSON');
  }
  const env = EnvelopeSchema.safeParse(json);
  if (!env.success)
    throw new PoisonMessageError(`bad envelope: ${env.error.issues[0]?.message ?? 'invalid'}`);
  if (env.data.type !== topic)
    throw new PoisonMessageError(`envelope type ${env.data.type} on topic ${topic}`);
  const payload = PAYLOADS[topic].safeParse(env.data.payload);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    throw new PoisonMessageError(
      `bad ${topic} payload at ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return { ...env.data, type: topic, payload: payload.data as Payload<T> };
}

export const isTopic = (name: string): name is TopicName => Object.hasOwn(TOPICS, name);
