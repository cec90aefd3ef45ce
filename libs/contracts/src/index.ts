export * from './seating';
export * from './ws-close';
export * from './queue-socket';
export * from './buffer-socket';
export * from './seat-feed';
export * from './order-feed';
export * from './safe-next';
export * from './order-reasons';
