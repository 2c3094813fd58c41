// Label and field selectors in the string form of list/watch query parameters:
// `a=b,c!=d,e in (x,y),f notin (z),g,!h` and `metadata.name=x,status.phase!=Running`.
import { at, labelsOf, type Obj } from './json.js';

export type Matcher = (o: Obj) => boolean;

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

/** Splits on commas that are not inside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out.filter((x) => x !== '');
}

export function parseLabelSelector(selector: string | null | undefined): Matcher {
  if (selector === null || selector === undefined || selector.trim() === '') return () => true;
  const tests: ((labels: Record<string, string>) => boolean)[] = [];
  for (const term of terms(selector)) {
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const key = m[1]!;
      const values = new Set(m[3]!.split(',').map((s) => s.trim()).filter((s) => s !== ''));
      const negate = m[2] === 'notin';
      tests.push((l) => (negate ? !(key in l) || !values.has(l[key]!) : key in l && values.has(l[key]!)));
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term))) {
      const key = m[1]!;
      const value = m[3]!;
      const negate = m[2] === '!=';
      tests.push((l) => (negate ? l[key] !== value : l[key] === value));
    } else if ((m = /^!([\w./-]+)$/.exec(term))) {
      const key = m[1]!;
      tests.push((l) => !(key in l));
    } else if ((m = /^([\w./-]+)$/.exec(term))) {
      const key = m[1]!;
      tests.push((l) => key in l);
    } else {
      throw new SelectorError(`unable to parse requirement: ${term}`);
    }
  }
  return (o) => {
    const labels = labelsOf(o);
    return tests.every((test) => test(labels));
  };
}

export function parseFieldSelector(selector: string | null | undefined): Matcher {
  if (selector === null || selector === undefined || selector.trim() === '') return () => true;
  const tests: Matcher[] = [];
  for (const term of terms(selector)) {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid field selector: ${term}`);
    const path = m[1]!.split('.');
    const value = m[3]!;
    const negate = m[2] === '!=';
    tests.push((o) => {
      const v = at(o, ...path);
      const s = v === undefined || v === null ? '' : String(v);
      return negate ? s !== value : s === value;
    });
  }
  return (o) => tests.every((test) => test(o));
}

/** A `matchLabels` / `matchExpressions` selector object (as in a StatefulSet or PodMonitor). */
export function matchesSelectorObject(selector: unknown, labels: Record<string, string>): boolean {
  if (typeof selector !== 'object' || selector === null) return false;
  const s = selector as Record<string, unknown>;
  const ml = typeof s['matchLabels'] === 'object' && s['matchLabels'] !== null ? (s['matchLabels'] as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of Array.isArray(s['matchExpressions']) ? s['matchExpressions'] : []) {
    const ex = e as Record<string, unknown>;
    const key = String(ex['key']);
    const values = Array.isArray(ex['values']) ? ex['values'].map(String) : [];
    switch (ex['operator']) {
      case 'In':
        if (!(key in labels) || !values.includes(labels[key]!)) return false;
        break;
      case 'NotIn':
        if (key in labels && values.includes(labels[key]!)) return false;
        break;
      case 'Exists':
        if (!(key in labels)) return false;
        break;
      case 'DoesNotExist':
        if (key in labels) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** `matchLabels` → `a=b,c=d` (the scale subresource's status.selector). */
export function selectorString(selector: unknown): string {
  const ml = typeof selector === 'object' && selector !== null ? (selector as Record<string, unknown>)['matchLabels'] : undefined;
  if (typeof ml !== 'object' || ml === null) return '';
  return Object.entries(ml as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`).join(',');
}
