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
  testSequencer: '<rootDir>/dev/test-support/sequencer.js',
  // Three suites at a time on CI's two cores: the browser journeys spend much of their time
  // waiting (a sale to open, a hold to lapse, a code window to turn), so a third worker fills
  // the idle CPU. Measured on a 2-core machine: 119 suites in 1,056 s with 3 workers, CPU
  // 70% busy on average; CI took 1,952 s with 2.
  maxWorkers: 3,
};
