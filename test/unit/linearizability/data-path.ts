// The read-only validation histories live next to the repository (`../shared/...` in CI).

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const historiesDir = path.resolve(repoRoot, '../shared/data/linearizability-histories');
