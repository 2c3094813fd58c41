// What the data directory says about this pod before the node boots: nothing
// (fresh volume), an identity that never got a cluster, or a cluster member.
import { openDataDir } from '../persistence/data-dir.js';
import type { StoredLog } from '../persistence/types.js';
import type { LocalState } from './start-decision.js';

export async function readLocalState(dataDir: string): Promise<LocalState> {
  const { logStore } = await openDataDir(dataDir);
  const stored = await logStore.open();
  await logStore.close();
  return localStateOf(stored);
}

export function localStateOf(stored: Pick<StoredLog, 'identity' | 'hardState'>): LocalState {
  const id = stored.identity;
  if (id === null) return { kind: 'empty' };
  if (id.clusterId === '') return { kind: 'unjoined', incarnation: id.incarnation };
  return { kind: 'member', clusterId: id.clusterId, incarnation: id.incarnation, term: stored.hardState.term };
}
