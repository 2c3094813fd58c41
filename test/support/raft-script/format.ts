// How entries, messages, logs and node states read in a transcript.
import { tryDecodeMembership } from '../../../src/consensus/core/membership.js';
import { EntryType, MessageType, type CoreStatus, type Entry, type Membership, type Message } from '../../../src/consensus/core/types.js';
import { text } from '../core-network.js';

export function formatMembers(m: Membership): string {
  return m.members.map((x) => (x.role === 'voter' ? x.id : `${x.id}:learner`)).join(' ');
}

export function formatEntry(e: Entry): string {
  const head = `${e.index}/${e.term}`;
  if (e.type === EntryType.Config) {
    const m = tryDecodeMembership(e.data);
    return `${head} conf(${m === null ? '?' : formatMembers(m)})`;
  }
  return e.data.length === 0 ? `${head} noop` : `${head} ${text(e)}`;
}

/** Entry terms, run-length encoded: [1,1,1,3] → "1x3,3". */
export function formatTerms(terms: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < terms.length; ) {
    let j = i;
    while (j < terms.length && terms[j] === terms[i]) j++;
    out.push(j - i > 1 ? `${terms[i]}x${j - i}` : `${terms[i]}`);
    i = j;
  }
  return out.join(',');
}

export function parseTerms(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:x(\d+))?$/.exec(part.trim());
    if (m === null) throw new Error(`bad terms "${spec}": expected e.g. 1,3x3,5`);
    out.push(...Array<number>(Number(m[2] ?? 1)).fill(Number(m[1])));
  }
  return out;
}

function entriesPart(m: Message): string {
  if (m.entries.length === 0) return '';
  if (m.entries.length <= 4) return ` [${m.entries.map(formatEntry).join(', ')}]`;
  const first = m.entries[0]!;
  const last = m.entries[m.entries.length - 1]!;
  return ` [${formatEntry(first)} … ${formatEntry(last)} (${m.entries.length} entries)]`;
}

function ctx(m: Message): string {
  return m.context === '' ? '' : ` ctx=${m.context}`;
}

export function formatMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case MessageType.App:
      return `${head} prev=${m.index}/${m.logTerm} commit=${m.commit}${entriesPart(m)}`;
    case MessageType.AppResp:
      return m.reject ? `${head} reject=${m.index} hint=${m.rejectHint}/${m.logTerm}` : `${head} ack=${m.index}`;
    case MessageType.PreVote:
    case MessageType.Vote:
      return `${head} last=${m.index}/${m.logTerm}${ctx(m)}`;
    case MessageType.PreVoteResp:
    case MessageType.VoteResp:
      return `${head} ${m.reject ? 'reject' : 'grant'}`;
    case MessageType.Heartbeat:
      return `${head} commit=${m.commit}${ctx(m)}`;
    case MessageType.HeartbeatResp:
      return `${head}${ctx(m)}`;
    case MessageType.Snap:
      return `${head} snap=${m.snapshot?.index ?? m.index}/${m.snapshot?.term ?? m.logTerm}`;
    case MessageType.Prop:
      return `${head}${entriesPart(m)}`;
    case MessageType.ReadIndex:
      return `${head}${ctx(m)}`;
    case MessageType.ReadIndexResp:
      return m.reject ? `${head} reject${ctx(m)}` : `${head} index=${m.index}${ctx(m)}`;
    case MessageType.TimeoutNow:
      return head;
  }
}

/** The fields of a node whose changes a transcript reports after each command. */
export interface NodeView {
  readonly state: string;
  readonly role: string;
  readonly term: number;
  readonly vote: string;
  readonly leader: string;
  readonly commit: number;
  readonly last: number;
  readonly members: string;
}

export function nodeView(st: CoreStatus, state: string): NodeView {
  return {
    state,
    role: st.role,
    term: st.term,
    vote: st.vote === '' ? '-' : st.vote,
    leader: st.leader === '' ? '-' : st.leader,
    commit: st.commit,
    last: st.lastIndex,
    members: formatMembers(st.membership),
  };
}

const VIEW_FIELDS: readonly (keyof NodeView)[] = ['state', 'role', 'term', 'vote', 'leader', 'commit', 'last', 'members'];

/** "n2: role follower→leader, term 2→3" — only what changed; '' when nothing did. */
export function viewDiff(id: string, before: NodeView, after: NodeView): string {
  const parts: string[] = [];
  for (const f of VIEW_FIELDS) {
    if (before[f] !== after[f]) parts.push(f === 'members' ? `members (${before[f]})→(${after[f]})` : `${f} ${before[f]}→${after[f]}`);
  }
  return parts.length === 0 ? '' : `${id}: ${parts.join(', ')}`;
}

export function formatStatus(st: CoreStatus, state: string): string[] {
  const snap = st.snapshot === null ? '' : ` snapshot=${st.snapshot.index}/${st.snapshot.term}`;
  const lines = [
    `${st.id}${state === 'up' ? '' : ` (${state})`}: ${st.role} term=${st.term} vote=${st.vote || '-'} leader=${st.leader || '-'} ` +
      `commit=${st.commit} applied=${st.applied} log=${st.firstIndex}..${st.lastIndex}${snap} members=(${formatMembers(st.membership)})`,
  ];
  if (st.transferee !== '') lines.push(`  transferring to ${st.transferee}`);
  for (const p of st.progress) {
    lines.push(`  ${p.id}: ${p.state} match=${p.match} next=${p.next} inflight=${p.inflight}${p.recentActive ? '' : ' inactive'}`);
  }
  return lines;
}
