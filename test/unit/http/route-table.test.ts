import { describe, test, expect } from '@jest/globals';
import { RouteTable } from '../../../src/http/route-table.js';

describe('RouteTable', () => {
  const routes = new RouteTable();
  routes.add('GET', '/api/v1/printers');
  routes.add(['GET', 'HEAD'], '/api/v1/printers/:id');
  routes.add('post', '/api/v1/printers');
  routes.add('POST', '/api/v1/print_jobs/:id/status');
  routes.add('PUT', '/api/v1/print_jobs/:id/status');
  routes.add('GET', '/static/*');
  routes.add('GET', '/files/:name.:ext');

  test.each([
    ['/api/v1/printers', ['GET', 'POST']],
    ['/api/v1/printers/p1', ['GET', 'HEAD']],
    ['/api/v1/print_jobs/j-1/status', ['POST', 'PUT']],
    ['/static/css/site.css', ['GET']],
    ['/files/a.txt', ['GET']],
    ['/api/v1/printers/', []],
    ['/api/v1/printers//status', []],
    ['/api/v1/print_jobs//status', []],
    ['/api/v1/printers/p1/extra', []],
    ['/API/v1/printers', []],
    ['/', []],
  ])('%s allows %j', (path, methods) => {
    expect(routes.allowedMethods(path)).toEqual(methods);
  });
});
