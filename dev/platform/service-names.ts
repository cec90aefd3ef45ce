/** The five services, in the order the platform lists them (a module without imports: test-support reads it). */
export const SERVICE_NAMES = ['feed', 'buffer', 'queue', 'purchase', 'payment'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
