import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { createCompanion } from '../../src/companion/createCompanion';
import { ingestToken } from '../../src/auth';
import { record, records } from './records';

const SECRET = 'test-secret';
const KERNEL = 'kernel-1';
let dataDir: string;
const warnings: string[] = [];

const open = () => createCompanion({ secret: SECRET, dataDir, warn: m => warnings.push(m) }).app;
const post = (app: any, body: unknown, kernel = KERNEL, token = ingestToken(SECRET, kernel)) =>
  request(app)
    .post(`/api/kernels/${kernel}/records`)
    .set('Authorization', `Bearer ${token}`)
    .send(body as object);
const get = (app: any, url: string) => request(app).get(url).set('X-Elastic-Notebook-Secret', SECRET);

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-companion-'));
  warnings.length = 0;
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('auth', () => {
  test('every route but ingest needs the shared secret', async () => {
    const app = open();
    for (const url of [
      '/api/health',
      '/api/kernels',
      `/api/kernels/${KERNEL}/graph`,
      `/api/kernels/${KERNEL}/records`,
      `/api/kernels/${KERNEL}/sync?runId=r`
    ]) {
      const none = await request(app).get(url);
      expect(none.status).toBe(401);
      expect(none.body.error).toMatch(/secret/);
      expect((await request(app).get(url).set('X-Elastic-Notebook-Secret', 'wrong')).status).toBe(401);
    }
    expect((await get(app, '/api/health')).body).toMatchObject({ ok: true, version: expect.any(String) });
  });

  test('ingest needs the token of that very kernel', async () => {
    const app = open();
    const body = { runId: 'r1', records: [] };
    expect((await post(app, body, KERNEL, 'nope')).status).toBe(401);
    expect((await post(app, body, KERNEL, ingestToken(SECRET, 'other-kernel'))).status).toBe(401);
    const noHeader = await request(app).post(`/api/kernels/${KERNEL}/records`).send(body);
    expect(noHeader.status).toBe(401);
    expect(noHeader.body.error).toBe('missing or wrong ingest token for this kernel');
    expect((await post(app, body)).status).toBe(200);
  });
});

describe('validation: a malformed request gets 400 with a precise message', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a list instead of an object', [1], 'request body: Invalid input: expected object, received array'],
    ['missing runId', { records: [] }, 'runId: Invalid input: expected string, received undefined'],
    [
      'runId with a slash',
      { runId: '../x', records: [] },
      'runId: must be 1-128 letters, digits, "_", "-" or "." and not start with "."'
    ],
    ['records not a list', { runId: 'r', records: 5 }, 'records: Invalid input: expected array, received number'],
    [
      'negative seq',
      { runId: 'r', records: [{ ...record(0), seq: -1 }] },
      'records.0.seq: Too small: expected number to be >=0'
    ],
    [
      'fractional seq',
      { runId: 'r', records: [{ ...record(0), seq: 0.5 }] },
      'records.0.seq: Invalid input: expected int, received number'
    ],
    [
      'durationMs a string',
      { runId: 'r', records: [{ ...record(0), durationMs: 'slow' }] },
      'records.0.durationMs: Invalid input: expected number, received string'
    ],
    [
      'reads not strings',
      { runId: 'r', records: [{ ...record(0), reads: [1] }] },
      'records.0.reads.0: Invalid input: expected string, received number'
    ],
    [
      'empty variable name',
      { runId: 'r', records: [{ ...record(0), writes: [''] }] },
      'records.0.writes.0: variable names cannot be empty'
    ],
    [
      'missing code',
      { runId: 'r', records: [{ ...record(0), code: undefined }] },
      'records.0.code: Invalid input: expected string, received undefined'
    ],
    [
      'error not string or null',
      { runId: 'r', records: [{ ...record(0), error: 3 }] },
      "records.0.error: must be null or the exception's one-line summary (a string)"
    ],
    [
      'empty group',
      { runId: 'r', records: [record(0, { groups: [[]] })] },
      'records.0.groups.0: a group cannot be empty'
    ],
    [
      'variable in two groups',
      { runId: 'r', records: [record(0, { groups: [['a'], ['a']] })] },
      'records.0.groups.1.0: a is in more than one group'
    ],
    [
      'seq gap inside a batch',
      { runId: 'r', records: [record(0), record(2)] },
      "records.1.seq: seq must follow the previous record's (1), got 2"
    ],
    [
      'size negative',
      { runId: 'r', records: [record(0, { variables: { x: { size: -1 } } })] },
      'records.0.variables.x.size: Too small: expected number to be >=0'
    ],
    [
      'needsFullCheck not a list',
      { runId: 'r', records: [record(0, { needsFullCheck: 'x' as any })] },
      'records.0.needsFullCheck: Invalid input: expected array, received string'
    ]
  ];
  test.each(cases)('%s', async (_name, body, message) => {
    const app = open();
    const response = await post(app, body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: message });
    expect((await get(app, `/api/kernels/${KERNEL}/graph`)).status).toBe(404); // nothing stored
  });

  test('malformed JSON', async () => {
    const response = await request(open())
      .post(`/api/kernels/${KERNEL}/records`)
      .set('Authorization', `Bearer ${ingestToken(SECRET, KERNEL)}`)
      .set('Content-Type', 'application/json')
      .send('{"runId": ');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'malformed JSON: Unexpected end of JSON input' });
  });

  test('an unsupported body encoding gets a JSON error', async () => {
    const response = await request(open())
      .post(`/api/kernels/${KERNEL}/records`)
      .set('Authorization', `Bearer ${ingestToken(SECRET, KERNEL)}`)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'bogus')
      .send('{}');
    expect(response.status).toBe(415);
    expect(response.body).toEqual({ error: 'unsupported content encoding "bogus"' });
  });

  test('kernel ids that could escape the data folder', async () => {
    const app = open();
    const message = 'kernelId: must be 1-128 letters, digits, "_", "-" or "." and not start with "."';
    for (const id of ['..', '.hidden', 'a%2F..%2Fb', '..%2F..%2Fetc', 'x'.repeat(129)]) {
      const response = await get(app, `/api/kernels/${id}/graph`);
      expect([response.status, response.body]).toEqual([400, { error: message }]);
      const ingest = await post(
        app,
        { runId: 'r', records: [record(0)] },
        id,
        ingestToken(SECRET, decodeURIComponent(id))
      );
      expect([ingest.status, ingest.body]).toEqual([400, { error: message }]);
    }
    const sync = await get(app, `/api/kernels/${KERNEL}/sync?runId=..`);
    expect([sync.status, sync.body]).toEqual([400, { error: message.replace('kernelId', 'runId') }]);
    expect(fs.readdirSync(dataDir)).toEqual([]); // nothing written anywhere
  });

  test('oversize bodies get 413', async () => {
    const { app } = createCompanion({ secret: SECRET, dataDir, bodyLimit: '1kb' });
    const response = await post(app, { runId: 'r', records: [record(0, { code: 'x'.repeat(5000) })] });
    expect(response.status).toBe(413);
    expect(response.body.error).toBe('request body larger than 1kb');
  });

  test('unknown kernels and routes get 404', async () => {
    const app = open();
    expect((await get(app, '/api/kernels/unknown/graph')).body.error).toBe('nothing recorded for kernel unknown');
    const missing = await get(app, '/api/nothing-here');
    expect([missing.status, missing.body]).toEqual([404, { error: 'no route GET /api/nothing-here' }]);
  });
});

describe('ingest, graph and persistence', () => {
  test('the graph is served with the documented fields', async () => {
    const app = open();
    const steps = records([
      [[], ['x']],
      [['x'], ['x']],
      [['x'], ['y']]
    ]);
    expect((await post(app, { runId: 'run1', records: steps })).body).toEqual({ nextSeq: 3 });
    const graph = (await get(app, `/api/kernels/${KERNEL}/graph`)).body;
    expect(graph.runId).toBe('run1');
    expect(graph.executions.map((e: any) => [e.index, e.reads, e.writes])).toEqual([
      [0, [], ['x']],
      [1, ['x'], ['x']],
      [2, ['x'], ['y']]
    ]);
    expect(graph.variables.filter((v: any) => v.active).map((v: any) => `${v.name}@${v.version}`)).toEqual([
      'x@1',
      'y@0'
    ]);
    fs.writeFileSync(path.join(dataDir, 'ahg', 'notes.txt'), 'a stray file is not a kernel');
    const listing = (await get(app, '/api/kernels')).body;
    expect(listing).toEqual([{ kernelId: KERNEL, runId: 'run1', executions: 3, updatedAt: expect.any(String) }]);
    expect(Date.now() - Date.parse(listing[0].updatedAt)).toBeLessThan(60_000);
  });

  test('the raw records of the current run are served in seq order, and survive a companion restart', async () => {
    const app = open();
    expect((await get(app, `/api/kernels/${KERNEL}/records`)).status).toBe(404);
    expect(
      (
        await post(app, {
          runId: 'old',
          records: records([
            [[], ['a']],
            [['a'], ['b']]
          ])
        })
      ).status
    ).toBe(200);
    const batch = records([
      [[], ['x']],
      [['x'], ['y']],
      [['y'], ['x']]
    ]);
    expect((await post(app, { runId: 'r1', records: batch.slice(0, 2) })).status).toBe(200);
    expect((await post(app, { runId: 'r1', records: batch.slice(2) })).status).toBe(200);
    for (const served of [app, open()]) {
      const answer = await get(served, `/api/kernels/${KERNEL}/records`);
      expect(answer.status).toBe(200);
      expect(answer.body.runId).toBe('r1');
      expect(answer.body.records).toEqual(JSON.parse(JSON.stringify(batch)));
    }
  });

  test('a gap gets 409 with nextSeq; resending from there works; duplicates are ignored', async () => {
    const app = open();
    const steps = records([
      [[], ['a']],
      [['a'], ['b']],
      [['b'], ['c']]
    ]);
    await post(app, { runId: 'r', records: steps.slice(0, 1) });
    const gap = await post(app, { runId: 'r', records: steps.slice(2) });
    expect(gap.status).toBe(409);
    expect(gap.body).toEqual({ error: 'expected seq 1, got 2', nextSeq: 1 });
    expect((await post(app, { runId: 'r', records: steps })).body).toEqual({ nextSeq: 3 }); // overlap
    expect((await post(app, { runId: 'r', records: steps })).body).toEqual({ nextSeq: 3 }); // duplicate
    expect((await get(app, `/api/kernels/${KERNEL}/sync?runId=r`)).body).toEqual({ nextSeq: 3 });
    expect((await get(app, `/api/kernels/${KERNEL}/graph`)).body.executions).toHaveLength(3);
  });

  test('concurrent batches for one kernel are stored in order, none lost', async () => {
    const app = open();
    const steps = records(Array.from({ length: 40 }, (_, i) => [[], [`v${i}`]] as [string[], string[]]));
    const answers = await Promise.all(steps.map(r => post(app, { runId: 'r', records: [r] })));
    // Some arrive early and get 409; the agent would resend. Resend like the agent does.
    let next = Math.max(...answers.map(a => a.body.nextSeq));
    while (next < steps.length) {
      next = (await post(app, { runId: 'r', records: steps.slice(next) })).body.nextSeq;
    }
    const graph = (await get(app, `/api/kernels/${KERNEL}/graph`)).body;
    expect(graph.executions.map((e: any) => e.writes[0])).toEqual(steps.map(s => s.writes[0]));
  });

  test('batches for different kernels posted at once all land in their own kernel', async () => {
    const app = open();
    const kernels = ['ka', 'kb', 'kc'];
    const steps = records([
      [[], ['a']],
      [['a'], ['b']],
      [['b'], ['c']]
    ]);
    const answers = await Promise.all(
      kernels.flatMap(k => [
        post(app, { runId: 'r', records: steps.slice(0, 2) }, k),
        post(app, { runId: 'r', records: steps }, k)
      ])
    );
    // Whichever batch of a kernel came first, the other overlaps it and stores only what is new.
    expect(answers.map(a => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const k of kernels) {
      expect((await get(app, `/api/kernels/${k}/graph`)).body.executions.map((e: any) => e.writes)).toEqual([
        ['a'],
        ['b'],
        ['c']
      ]);
      const lines = fs
        .readFileSync(path.join(dataDir, 'ahg', k, 'r.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(lines.map(l => JSON.parse(l).seq)).toEqual([0, 1, 2]);
    }
  });

  test('a gap on a new run gets 409 and does not replace the current run', async () => {
    const app = open();
    await post(app, { runId: 'old', records: records([[[], ['a']]]) });
    const gap = await post(app, {
      runId: 'new',
      records: [
        records([
          [[], ['a']],
          [['a'], ['b']]
        ])[1]
      ]
    });
    expect([gap.status, gap.body]).toEqual([409, { error: 'expected seq 0, got 1', nextSeq: 0 }]);
    expect((await get(app, `/api/kernels/${KERNEL}/graph`)).body.runId).toBe('old');
    expect(fs.existsSync(path.join(dataDir, 'ahg', KERNEL, 'new.jsonl'))).toBe(false);
  });

  test('needsFullCheck and variable measurements are kept', async () => {
    const app = open();
    const step = record(0, {
      writes: ['big'],
      groups: [['big']],
      variables: { big: { type: 'numpy.ndarray', size: 80_000_000, serializable: true, needsFullCheck: true } },
      needsFullCheck: ['big']
    });
    await post(app, { runId: 'r', records: [step] });
    const graph = (await get(open(), `/api/kernels/${KERNEL}/graph`)).body; // replayed from disk
    expect(graph.executions[0].needsFullCheck).toEqual(['big']);
    expect(graph.variables[0].info).toEqual({
      type: 'numpy.ndarray',
      size: 80_000_000,
      serializable: true,
      needsFullCheck: true
    });
  });

  test('without a current-run marker (crash right after a new log), the newest run is current', async () => {
    let app = open();
    await post(app, { runId: 'first', records: records([[[], ['a']]]) });
    await new Promise(resolve => setTimeout(resolve, 20));
    await post(app, { runId: 'second', records: records([[[], ['b']]]) });
    fs.rmSync(path.join(dataDir, 'ahg', KERNEL, 'current.json'));
    app = open();
    expect((await get(app, `/api/kernels/${KERNEL}/graph`)).body.runId).toBe('second');
  });

  test('a new run (kernel restart) becomes current; a restart of the companion loses nothing', async () => {
    let app = open();
    await post(app, { runId: 'first', records: records([[[], ['a']]]) });
    await post(app, {
      runId: 'second',
      records: records([
        [[], ['b']],
        [['b'], ['c']]
      ])
    });
    app = open(); // a new process on the same folder
    const graph = (await get(app, `/api/kernels/${KERNEL}/graph`)).body;
    expect(graph.runId).toBe('second');
    expect(graph.executions.map((e: any) => e.writes)).toEqual([['b'], ['c']]);
    expect((await get(app, `/api/kernels/${KERNEL}/sync?runId=first`)).body).toEqual({ nextSeq: 1 });
  });

  test('a truncated last line (crash mid-write) is dropped with a warning, and appends continue', async () => {
    let app = open();
    const steps = records([
      [[], ['a']],
      [['a'], ['b']],
      [['b'], ['c']]
    ]);
    await post(app, { runId: 'r', records: steps.slice(0, 2) });
    const file = path.join(dataDir, 'ahg', KERNEL, 'r.jsonl');
    const goodBytes = fs.statSync(file).size;
    fs.appendFileSync(file, JSON.stringify(steps[2]).slice(0, 25));
    app = open();
    expect((await get(app, `/api/kernels/${KERNEL}/sync?runId=r`)).body).toEqual({ nextSeq: 2 });
    expect(fs.statSync(file).size).toBe(goodBytes);
    expect(warnings).toEqual([
      `elastic-notebook: ${file}: dropping damaged records from byte ${goodBytes} (incomplete last line)`
    ]);
    expect(fs.readdirSync(path.dirname(file)).some(f => f.startsWith('r.jsonl.damaged-'))).toBe(true);
    expect((await post(app, { runId: 'r', records: steps.slice(2) })).body).toEqual({ nextSeq: 3 });
    app = open();
    expect((await get(app, `/api/kernels/${KERNEL}/graph`)).body.executions).toHaveLength(3);
  });
});
