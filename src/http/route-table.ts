// Every route the application registers, so that a request whose path exists
// under another method can be answered 405 with an Allow header instead of the
// 404 Fastify gives it.
export class RouteTable {
  private readonly routes = new Map<string, { segments: string[]; methods: Set<string> }>();

  add(method: string | readonly string[], url: string): void {
    let route = this.routes.get(url);
    if (route === undefined) {
      route = { segments: url.split('/'), methods: new Set() };
      this.routes.set(url, route);
    }
    for (const m of typeof method === 'string' ? [method] : method) route.methods.add(m.toUpperCase());
  }

  /** Methods of every route whose pattern matches `path` (no query string), sorted. */
  allowedMethods(path: string): string[] {
    const segments = path.split('/');
    const allowed = new Set<string>();
    for (const route of this.routes.values()) {
      if (matches(route.segments, segments)) for (const m of route.methods) allowed.add(m);
    }
    return [...allowed].sort();
  }
}

// Fastify patterns: `:name` (optionally with a regexp or several params in one
// segment) matches one non-empty segment, `*` matches the rest of the path.
function matches(pattern: readonly string[], path: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '*') return true;
    const s = path[i];
    if (s === undefined) return false;
    if (p.includes(':')) {
      if (s.length === 0) return false;
    } else if (p !== s) {
      return false;
    }
  }
  return pattern.length === path.length;
}
