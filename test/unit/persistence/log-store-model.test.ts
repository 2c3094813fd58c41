// Model-based test: random operation sequences on LevelLogStore, including
// reopening in the middle, must always read back what a plain in-memory model holds.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { Entry, HardState, SnapshotMeta } from '../../../src/consensus/core/types.js';
import { LevelLogStore } from '../../../src/persistence/level-log-store.js';
import type { StoredLog } from '../../../src/persistence/types.js';
import { IDENTITY, entry, plain, removeDir, snapMeta, tempDir } from './helpers.js';

type Op =
  | { kind: 'append'; count: number; bumpTerm: boolean; commitPick: number }
  | { kind: 'overwrite'; fromPick: number; count: number }
  | { kind: 'hardState'; commitPick: number; vote: string }
  | { kind: 'snapshot'; atPick: number; keepPick: number }
  | { kind: 'install'; ahead: number }
  | { kind: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 6 }), bumpTerm: fc.boolean(), commitPick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('overwrite' as const), fromPick: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hardState' as const), commitPick: fc.nat(), vote: fc.constantFrom('', 'n1', 'n2') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), atPick: fc.nat(), keepPick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('install' as const), ahead: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

/** The specification: every stored entry by index, plus hard state and snapshot. */
class Model {
  stored = new Map<number, Entry>();
  hardState: HardState = { term: 1, vote: '', commit: 0 };
  snapshot: SnapshotMeta | null = null;

  get snapIndex(): number {
    return this.snapshot?.index ?? 0;
  }
  lastIndex(): number {
    return Math.max(this.snapIndex, ...this.stored.keys());
  }
  visible(): Entry[] {
    return [...this.stored.values()].filter((e) => e.index > this.snapIndex).sort((a, b) => a.index - b.index);
  }
  termAt(index: number): number {
    if (index === this.snapIndex) return this.snapshot?.term ?? 0;
    return this.stored.get(index)?.term ?? 0;
  }
  save(hs: HardState | undefined, list: Entry[]): void {
    const head = list[0];
    if (head !== undefined) {
      const maxStored = Math.max(0, ...this.stored.keys());
      for (const index of [...this.stored.keys()]) {
        if (index >= head.index || maxStored < head.index - 1) this.stored.delete(index);
      }
      for (const e of list) this.stored.set(e.index, e);
    }
    if (hs !== undefined) this.hardState = hs;
  }
  saveSnapshot(meta: SnapshotMeta, compactTo: number, discard: boolean): void {
    for (const index of [...this.stored.keys()]) if (discard || index <= compactTo) this.stored.delete(index);
    this.snapshot = meta;
  }
}

function expectSame(log: StoredLog, model: Model): void {
  expect(log.identity).toEqual(IDENTITY);
  expect(log.hardState).toEqual(model.hardState);
  expect(log.snapshot).toEqual(model.snapshot);
  expect(plain(log.entries)).toEqual(plain(model.visible()));
}

async function run(ops: readonly Op[]): Promise<void> {
  const dir = await tempDir();
  let store = new LevelLogStore(dir);
  const model = new Model();
  try {
    await store.open();
    await store.saveIdentity(IDENTITY);
    await store.save(model.hardState, []);
    for (const op of ops) {
      const last = model.lastIndex();
      switch (op.kind) {
        case 'append': {
          const term = model.hardState.term + (op.bumpTerm ? 1 : 0);
          const list = Array.from({ length: op.count }, (_, i) => entry(last + 1 + i, term));
          const hs = { term, vote: '', commit: op.commitPick % (last + op.count + 1) };
          await store.save(hs, list);
          model.save(hs, list);
          break;
        }
        case 'overwrite': {
          if (last === model.snapIndex) break;
          const from = model.snapIndex + 1 + (op.fromPick % (last - model.snapIndex));
          const term = model.hardState.term + 1;
          const list = Array.from({ length: op.count }, (_, i) => entry(from + i, term, `rewrite-${i}`));
          const hs = { term, vote: 'n2', commit: Math.min(model.hardState.commit, from + op.count - 1) };
          await store.save(hs, list);
          model.save(hs, list);
          break;
        }
        case 'hardState': {
          const hs = { term: model.hardState.term, vote: op.vote, commit: op.commitPick % (last + 1) };
          await store.save(hs, []);
          model.save(hs, []);
          break;
        }
        case 'snapshot': {
          const at = model.snapIndex + (op.atPick % (last - model.snapIndex + 1));
          const compactTo = op.keepPick % (at + 1);
          const meta = snapMeta(at, model.termAt(at));
          await store.saveSnapshot(meta, compactTo, false);
          model.saveSnapshot(meta, compactTo, false);
          break;
        }
        case 'install': {
          const meta = snapMeta(last + op.ahead, model.hardState.term);
          await store.saveSnapshot(meta, meta.index, true);
          model.saveSnapshot(meta, meta.index, true);
          break;
        }
        case 'reopen': {
          await store.close();
          store = new LevelLogStore(dir);
          expectSame(await store.open(), model);
          break;
        }
      }
    }
    await store.close();
    store = new LevelLogStore(dir);
    expectSame(await store.open(), model);
  } finally {
    await store.close();
    await removeDir(dir);
  }
}

describe('LevelLogStore against an in-memory model', () => {
  test('random operation sequences read back exactly as the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => run(ops)),
      { numRuns: 40 },
    );
  }, 60_000);
});
