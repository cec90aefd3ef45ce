export { startStripeStandIn, STAND_IN_API_VERSION } from './stand-in';
export type { StripeStandIn, StripeStandInOptions, StripeStandInSnapshot } from './stand-in';
export { signatureHeader } from './webhooks';
export { cardFingerprint } from './cards';
export type { RetryPolicy } from './webhooks';
