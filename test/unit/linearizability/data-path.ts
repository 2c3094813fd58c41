// The validation histories (porcupine's test data, MIT: see LICENSE.md there) are
// vendored under test/fixtures so that a clean clone runs every test.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const historiesDir = path.resolve(repoRoot, 'test/fixtures/linearizability-histories');
