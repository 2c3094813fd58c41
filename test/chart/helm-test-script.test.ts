// The `helm test` script (charts/raft3d/files/helm-test.mjs), run exactly as the test pod
// runs it (node --input-type=module -e) against fake Raft3D members on 127.0.0.1.
import { describe, test, expect, afterEach } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chartDir } from '../support/helm.js';

const script = readFileSync(join(chartDir, 'files', 'helm-test.mjs'), 'utf8');

interface Member {
  id: string;
  role: 'voter' | 'learner';
  /** What this member says about itself. */
  state: 'leader' | 'follower';
  term: number;
  clusterId: string;
}

interface Fake {
  readonly url: string;
  readonly posts: { body: unknown; idempotencyKey: string | undefined }[];
  readonly close: () => Promise<void>;
}

const open: Fake[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** One HTTP server per member; the first also serves the API (the client Service). */
async function fakeCluster(members: Member[], options: { failFirstPosts?: number } = {}): Promise<Fake> {
  const servers = members.map(() => createServer());
  const ports = await Promise.all(servers.map(listen));
  const printers = new Map<string, unknown>();
  const posts: Fake['posts'] = [];
  let failuresLeft = options.failFirstPosts ?? 0;
  const leader = members.find((m) => m.state === 'leader');
  servers.forEach((server, i) => {
    const me = members[i]!;
    server.on('request', (req, res) => {
      void (async () => {
        const send = (status: number, payload: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(payload));
        };
        const url = req.url ?? '';
        if (req.method === 'GET' && url === '/cluster/status') {
          return send(200, {
            id: me.id,
            cluster_id: me.clusterId,
            role: me.state,
            term: me.term,
            leader_id: leader?.id ?? null,
            members: members.map((m, j) => ({ id: m.id, role: m.role, http_address: `127.0.0.1:${ports[j]}` })),
          });
        }
        if (req.method === 'POST' && url === '/api/v1/printers') {
          const parsed = JSON.parse(await body(req)) as { id: string };
          posts.push({ body: parsed, idempotencyKey: req.headers['idempotency-key'] as string | undefined });
          if (failuresLeft > 0) {
            failuresLeft--;
            return send(503, { error: 'no leader', code: 'NO_LEADER' });
          }
          printers.set(parsed.id, parsed);
          return send(201, parsed);
        }
        const m = /^\/api\/v1\/printers\/([^/?]+)$/.exec(url);
        if (req.method === 'GET' && m) {
          const p = printers.get(decodeURIComponent(m[1]!));
          return p ? send(200, p) : send(404, { error: 'not found', code: 'NOT_FOUND' });
        }
        send(404, { error: 'no route', code: 'NOT_FOUND' });
      })();
    });
  });
  const fake: Fake = {
    url: `http://127.0.0.1:${ports[0]}`,
    posts,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
  open.push(fake);
  return fake;
}

function runScript(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env['PATH'] ?? '', RAFT3D_TEST_TIMEOUT_MS: '800', RAFT3D_TEST_RETRY_MS: '100', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const member = (id: string, state: Member['state'], extra: Partial<Member> = {}): Member => ({ id, role: 'voter', state, term: 4, clusterId: 'c1', ...extra });
const healthy = (): Member[] => [member('demo-0', 'follower'), member('demo-1', 'leader'), member('demo-2', 'follower')];

describe('helm test script', () => {
  test('passes on a healthy 3-voter cluster after writing and reading a printer with an idempotency key', async () => {
    const fake = await fakeCluster(healthy());
    const r = await runScript({ RAFT3D_URL: fake.url, RAFT3D_EXPECTED_VOTERS: '3' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('raft3d helm test passed');
    expect(fake.posts).toHaveLength(1);
    const post = fake.posts[0]!;
    expect(post.body).toEqual({ id: post.idempotencyKey, company: 'helm-test', model: 'raft3d' });
    expect(post.idempotencyKey).toMatch(/^helm-test-/);
  });

  test('retries a write that fails while the cluster is still electing, with the same key', async () => {
    const fake = await fakeCluster(healthy(), { failFirstPosts: 2 });
    const r = await runScript({ RAFT3D_URL: fake.url, RAFT3D_EXPECTED_VOTERS: '3' });
    expect(r.code).toBe(0);
    expect(fake.posts).toHaveLength(3);
    expect(new Set(fake.posts.map((p) => p.idempotencyKey)).size).toBe(1);
  });

  test('fails when the cluster has fewer voters than expected (a learner not yet promoted)', async () => {
    const fake = await fakeCluster([member('demo-0', 'leader'), member('demo-1', 'follower'), member('demo-2', 'follower', { role: 'learner' })]);
    const r = await runScript({ RAFT3D_URL: fake.url, RAFT3D_EXPECTED_VOTERS: '3' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAIL 3 voters, no learners, a leader: members demo-0:voter, demo-1:voter, demo-2:learner/);
  });

  test('fails when two members lead the same term', async () => {
    const fake = await fakeCluster([member('demo-0', 'leader'), member('demo-1', 'leader'), member('demo-2', 'follower')]);
    const r = await runScript({ RAFT3D_URL: fake.url, RAFT3D_EXPECTED_VOTERS: '3' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/leaders in term 4: \[demo-0, demo-1\]/);
  });

  test('a stale leader of an older term does not count; two cluster ids fail', async () => {
    const stale = await fakeCluster([member('demo-0', 'leader', { term: 3 }), member('demo-1', 'leader', { term: 4 }), member('demo-2', 'follower')]);
    expect((await runScript({ RAFT3D_URL: stale.url, RAFT3D_EXPECTED_VOTERS: '3' })).code).toBe(0);
    const split = await fakeCluster([member('demo-0', 'follower'), member('demo-1', 'leader'), member('demo-2', 'follower', { clusterId: 'c2' })]);
    const r = await runScript({ RAFT3D_URL: split.url, RAFT3D_EXPECTED_VOTERS: '3' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cluster ids c1, c2/);
  });

  test('fails without configuration', async () => {
    const r = await runScript({});
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/RAFT3D_URL and RAFT3D_EXPECTED_VOTERS must be set/);
  });
});
