export { startStripeStandIn, STAND_IN_API_VERSION } from './stand-in';
export type { StateQuery, StripeStandIn, StripeStandInOptions, StripeStandInSnapshot } from './stand-in';
export { startStripeStandInProcess, type StripeStandInProcessOptions } from './child-process';
export { signatureHeader } from './webhooks';
export { cardFingerprint } from './cards';
export type { RetryPolicy } from './webhooks';
