// `helm test` for Raft3D, run by `node --input-type=module -e` inside the raft3d image
// (no curl there). Writes a printer through the client Service and reads it back, then
// checks that every member is a voter, the expected number of voters exists and
// exactly one member leads the highest term. Exits 0 on success, 1 with a reason.
const base = process.env.RAFT3D_URL;
const expectedVoters = Number(process.env.RAFT3D_EXPECTED_VOTERS);
const timeoutMs = Number(process.env.RAFT3D_TEST_TIMEOUT_MS ?? '240000');
const retryMs = Number(process.env.RAFT3D_TEST_RETRY_MS ?? '2000');
const deadline = Date.now() + timeoutMs;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method, url, body, headers = {}) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // A non-JSON body is reported as text below.
  }
  return { status: res.status, json, text };
}

// The cluster may still be growing right after `helm install`: retry until the deadline.
async function eventually(step, attempt) {
  let last = 'no attempt';
  for (let n = 1; ; n++) {
    try {
      const problem = await attempt();
      if (problem === null) {
        console.log(`ok   ${step}`);
        return;
      }
      last = problem;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() + retryMs > deadline) throw new Error(`${step}: ${last} (after ${n} attempts)`);
    await sleep(retryMs);
  }
}

async function main() {
  if (!base || !Number.isInteger(expectedVoters) || expectedVoters < 1) {
    throw new Error('RAFT3D_URL and RAFT3D_EXPECTED_VOTERS must be set');
  }
  const id = `helm-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const printer = { id, company: 'helm-test', model: 'raft3d' };

  await eventually(`write printer ${id} through ${base}`, async () => {
    // The idempotency key makes a retried POST answer with the first outcome.
    const r = await call('POST', `${base}/api/v1/printers`, printer, { 'idempotency-key': id });
    return r.status === 201 ? null : `POST answered ${r.status} ${r.text}`;
  });

  await eventually(`read printer ${id} back`, async () => {
    const r = await call('GET', `${base}/api/v1/printers/${encodeURIComponent(id)}`);
    if (r.status !== 200) return `GET answered ${r.status} ${r.text}`;
    return r.json?.id === id && r.json?.company === printer.company && r.json?.model === printer.model
      ? null
      : `GET returned ${r.text}`;
  });

  let members = [];
  await eventually(`${expectedVoters} voters, no learners, a leader`, async () => {
    const r = await call('GET', `${base}/cluster/status`);
    if (r.status !== 200 || !Array.isArray(r.json?.members)) return `/cluster/status answered ${r.status} ${r.text}`;
    members = r.json.members;
    const voters = members.filter((m) => m.role === 'voter').length;
    if (!r.json.leader_id) return 'no leader';
    if (voters !== expectedVoters || members.length !== expectedVoters) {
      return `members ${members.map((m) => `${m.id}:${m.role}`).join(', ')}`;
    }
    return null;
  });

  await eventually('exactly one leader in the highest term, one cluster id', async () => {
    const views = await Promise.all(
      members.map(async (m) => {
        const r = await call('GET', `http://${m.http_address}/cluster/status`);
        if (r.status !== 200 || r.json === null) throw new Error(`${m.id} answered ${r.status}`);
        return r.json;
      }),
    );
    const term = Math.max(...views.map((v) => v.term));
    const leaders = views.filter((v) => v.role === 'leader' && v.term === term).map((v) => v.id);
    const clusterIds = new Set(views.map((v) => v.cluster_id));
    if (clusterIds.size !== 1) return `cluster ids ${[...clusterIds].join(', ')}`;
    return leaders.length === 1 ? null : `leaders in term ${term}: [${leaders.join(', ')}]`;
  });
}

main().then(
  () => {
    console.log('raft3d helm test passed');
    process.exit(0);
  },
  (error) => {
    console.error(`FAIL ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
