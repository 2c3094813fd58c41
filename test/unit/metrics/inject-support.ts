// Fastify's inject (light-my-request) require()s the ESM-only `cookie` package,
// which Jest's module registry cannot load on Node 20. Only cookie headers use
// it and these tests send none. Import this module before creating an app.
import { jest } from '@jest/globals';

jest.mock('cookie', () => ({
  stringifySetCookie: (): never => {
    throw new Error('cookies are not supported by the test injector');
  },
}));
