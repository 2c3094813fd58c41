// Structural checks run by LevelLogStore.open() after every record passed its
// checksum: a log with a hole, a rewound hard state or a prefix missing without
// a snapshot is as dangerous as a flipped bit (B33), so it is reported the same way.
import type { Entry, HardState, SnapshotMeta } from '../consensus/core/types.js';
import { CorruptionError } from './types.js';

/**
 * Verifies `stored` (every stored entry, in index order) against the snapshot and
 * hard state and returns the entries after the snapshot.
 */
export function checkStoredLog(hardState: HardState, snapshot: SnapshotMeta | null, stored: readonly Entry[]): Entry[] {
  for (let i = 1; i < stored.length; i++) {
    const prev = stored[i - 1]!;
    const cur = stored[i]!;
    if (cur.index !== prev.index + 1) {
      throw new CorruptionError(
        `log gap: entry ${cur.index} follows entry ${prev.index} (entries ${prev.index + 1}..${cur.index - 1} missing)`,
      );
    }
    if (cur.term < prev.term) {
      throw new CorruptionError(`entry ${cur.index} has term ${cur.term}, lower than term ${prev.term} of entry ${prev.index}`);
    }
  }
  const first = stored[0];
  const last = stored[stored.length - 1];
  const snapIndex = snapshot?.index ?? 0;
  if (snapshot === null && first !== undefined && first.index !== 1) {
    throw new CorruptionError(`log starts at entry ${first.index} but there is no snapshot (entries 1..${first.index - 1} missing)`);
  }
  if (snapshot !== null && first !== undefined && last !== undefined && last.index > snapIndex && first.index > snapIndex + 1) {
    throw new CorruptionError(
      `log gap after snapshot ${snapIndex}: first entry is ${first.index} (entries ${snapIndex + 1}..${first.index - 1} missing)`,
    );
  }
  // Contiguity is established above, so the entries after the snapshot are a suffix.
  const visible = first === undefined ? [] : stored.slice(Math.max(0, snapIndex + 1 - first.index));
  const firstVisible = visible[0];
  if (snapshot !== null && firstVisible !== undefined && firstVisible.term < snapshot.term) {
    throw new CorruptionError(
      `entry ${firstVisible.index} has term ${firstVisible.term}, lower than term ${snapshot.term} of snapshot ${snapIndex}`,
    );
  }
  const lastIndex = Math.max(snapIndex, last?.index ?? 0);
  if (hardState.commit > lastIndex) {
    throw new CorruptionError(`hard state commit ${hardState.commit} is beyond the last log index ${lastIndex}`);
  }
  if (last !== undefined && hardState.term < last.term) {
    throw new CorruptionError(`hard state term ${hardState.term} is lower than term ${last.term} of last entry ${last.index}`);
  }
  return visible;
}
