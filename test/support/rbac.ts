// RBAC rules flattened for comparison.
import type { K8sObject } from './helm.js';

/** "group/resource" ("core/pods" for the core group) → sorted verbs. */
export function ruleTable(role: K8sObject): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  for (const rule of role['rules'] as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        const key = `${group || 'core'}/${resource}`;
        table[key] = [...new Set([...(table[key] ?? []), ...rule.verbs])].sort();
      }
    }
  }
  return table;
}
