/** WebSocket close codes every socket of the platform uses, and every page explains. */
export const WS_CLOSE = {
  unauthenticated: 4401,
  forbidden: 4403,
  /** No such thing to follow (an unknown event). */
  notFound: 4404,
  replaced: 4409,
  turnLapsed: 4410,
  goingAway: 1001,
} as const;

export type WsCloseCode = (typeof WS_CLOSE)[keyof typeof WS_CLOSE];
