export * from './browser';
export * from './platform';
export * from './allowed-errors';
export * from './accounts';
export * from './events';
export * from './axe';
export * from './tabs';
export * from './keyboard';
