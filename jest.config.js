// One jest configuration for every backend, lib and tool. TypeScript goes through @swc/jest;
// workspace packages point at their TypeScript sources, so nothing is built first.
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' }, module: { type: 'commonjs' } }];
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': swc },
  // @noble/* 2.x ship ES modules only; jest runs CommonJS, so swc converts them too.
  transformIgnorePatterns: ['/node_modules/(?!@noble/)'],
  roots: ['<rootDir>'],
  testMatch: ['**/?(*.)+(spec|test).ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.local/', '/dist/', '-frontend/', '/libs/ui/(?!src/[a-z-]+\\.spec\\.ts$)'],
  modulePathIgnorePatterns: ['/.local/', '/dist/'],
  globalSetup: '<rootDir>/dev/test-support/global-setup.ts',
  globalTeardown: '<rootDir>/dev/test-support/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
