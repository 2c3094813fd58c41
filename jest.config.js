// jest in ESM mode: run through `node --experimental-vm-modules` (see package.json scripts).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // Only test/: node data directories (data/) hold Raft snapshot files named *.snap,
  // which jest would otherwise take for obsolete jest snapshots.
  roots: ['<rootDir>/test'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The cluster-in-a-box scenarios need root and minutes: `npm run test:e2e` (jest.e2e.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/k8s/'],
  testTimeout: 30000,
};
