/**
 * The error family every service throws. One middleware maps them to problem+json
 * (RFC 9457); anything else becomes a generic 500 whose details stay in the log.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  /** Short machine-readable code, becomes the tail of the problem `type` URI. */
  readonly code: string;
  readonly extensions: Record<string, unknown>;

  constructor(message: string, code: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.extensions = extensions;
  }

  toProblem(instance?: string): ProblemDetails {
    return {
      type: `https://ticketslave.dev/problems/${this.code}`,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export interface FieldError {
  path: string;
  message: string;
}

export class InputError extends AppError {
  readonly status = 400;
  readonly title = 'Invalid request';
  constructor(message: string, errors: FieldError[] = [], code = 'invalid_request') {
    super(message, code, errors.length ? { errors } : {});
  }
}

export class AuthError extends AppError {
  readonly status = 401;
  readonly title = 'Not authenticated';
  constructor(message = 'You need to log in.', code = 'unauthenticated') {
    super(message, code);
  }
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly title = 'Forbidden';
  constructor(message = 'You are not allowed to do this.', code = 'forbidden') {
    super(message, code);
  }
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly title = 'Not found';
  constructor(message = 'Not found.', code = 'not_found') {
    super(message, code);
  }
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly title = 'Conflict';
  constructor(message: string, code = 'conflict', extensions: Record<string, unknown> = {}) {
    super(message, code, extensions);
  }
}

export class GoneError extends AppError {
  readonly status = 410;
  readonly title = 'Gone';
  constructor(message: string, code = 'gone') {
    super(message, code);
  }
}

export class TooManyRequestsError extends AppError {
  readonly status = 429;
  readonly title = 'Too many requests';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message = 'Too many requests, slow down.') {
    super(message, 'rate_limited', { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class UnavailableError extends AppError {
  readonly status = 503;
  readonly title = 'Service unavailable';
  constructor(message: string, code = 'unavailable') {
    super(message, code);
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
