// The cluster-in-a-box scenarios (test/e2e/k8s): real pods in network namespaces,
// so root and iproute2 are needed, and each file takes minutes. `npm run test:e2e`.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 600_000,
  maxWorkers: 1,
};
