// Building and classifying peer messages.
import { MessageType, type Message, type NodeId } from './types.js';

export type MessageFields = Partial<Omit<Message, 'type' | 'from' | 'to' | 'term'>>;

export function makeMessage(type: MessageType, from: NodeId, to: NodeId, term: number, fields: MessageFields = {}): Message {
  return {
    type,
    from,
    to,
    term,
    index: fields.index ?? 0,
    logTerm: fields.logTerm ?? 0,
    entries: fields.entries ?? [],
    commit: fields.commit ?? 0,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? 0,
    context: fields.context ?? '',
    ...(fields.snapshot !== undefined ? { snapshot: fields.snapshot } : {}),
  };
}

/** Messages only a leader sends; receiving one in a term means its sender leads that term. */
export function isFromLeader(m: Message): boolean {
  return m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap;
}

/**
 * The leader's outbound replication may leave before its own write is durable
 * (thesis §10.2.1): none of these grant or acknowledge anything.
 */
export function mayLeaveBeforePersist(m: Message): boolean {
  return isFromLeader(m) || m.type === MessageType.TimeoutNow;
}

/** Read requests (and proposals from older peers) with term 0 skip the term checks, as etcd treats them as local. */
export function isTermless(m: Message): boolean {
  return m.term === 0 && (m.type === MessageType.Prop || m.type === MessageType.ReadIndex);
}

/**
 * An App whose entries continue its prev index one by one, with terms that
 * never decrease and never exceed the sender's term. Anything else cannot
 * come from a correct leader and is dropped rather than corrupting the log.
 */
export function isWellFormedApp(m: Message): boolean {
  let prevTerm = m.logTerm;
  for (let i = 0; i < m.entries.length; i++) {
    const e = m.entries[i]!;
    if (e.index !== m.index + 1 + i || e.term < prevTerm || e.term > m.term) return false;
    prevTerm = e.term;
  }
  return m.index >= 0 && m.logTerm >= 0 && m.logTerm <= m.term;
}
