/**
 * A fake kernel with a fake agent, behind the companion's `IKernelAccess`, for unit tests of the
 * checkpoint and restore jobs and routes without Jupyter or Python.
 *
 * The namespace holds JSON values. Cell code is a list of `name = <JSON>` lines (or `raise Name`);
 * the agent calls of docs/checkpoint.md section 4 are answered the way the real agent answers
 * them: payload files written into the staging folder (`g<k>.pkl`, `random.pkl`) with checksums,
 * loads that verify checksums, fingerprints compared by `verify`, and `restore` running the
 * steps of a restore in one call.
 */
import { createHash } from 'crypto';
import fs from 'fs';
import path from 'path';
import { STATUS_EXPRESSION } from '../../src/companion/agentStatus';
import { IKernelAccess, ISessionIds } from '../../src/companion/kernelAccess';
import { IKernelChannel } from '../../src/migrate/agentCalls';
import { MigrationError } from '../../src/migrate/migrationError';

const sha = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const encode = (value: unknown) => `'${Buffer.from(JSON.stringify(value)).toString('base64')}'`;

/** A gate a test opens when it wants a blocked call to go on. */
export class Gate {
  private opened!: () => void;
  /** Resolves when a call reaches the gate. */
  readonly reached: Promise<void>;
  private arrive!: () => void;
  readonly open: Promise<void>;

  constructor() {
    this.reached = new Promise(resolve => (this.arrive = resolve));
    this.open = new Promise(resolve => (this.opened = resolve));
  }

  /** Called by the fake when a call arrives: waits until the test releases it. */
  async pass(): Promise<void> {
    this.arrive();
    await this.open;
  }

  release(): void {
    this.opened();
  }
}

/** One fake kernel. */
export class FakeKernel {
  namespace = new Map<string, unknown>();
  agentLoaded = true;
  runId = 'run-1';
  /** Executions the agent says it recorded (the store may lag behind). */
  recorded = 0;
  restarts = 0;
  /** Agent calls in order, by name (`status` included). */
  calls: string[] = [];
  /** Code run silently (re-runs), in order. */
  reruns: string[] = [];
  /** Records the last `adopt` said it took over. */
  adopted: number | null = null;
  /** Blocks the next call of this name until released. */
  gates = new Map<string, Gate>();
  /** Whether `checkpoint` reports each group file in the progress file it is given (as the agent does). */
  progressLines = true;
  /** Blocks the answer of the next call of this name, after it ran, until released. */
  gatesAfter = new Map<string, Gate>();
  /** Calls of these names fail with the message (the kernel died meanwhile, for instance). */
  failing = new Map<string, string>();
  /** Called on every status request (to make a record arrive meanwhile, for instance). */
  onStatus: (() => Promise<void> | void) | null = null;
  /** Groups whose members `checkpoint` must fail to serialize. */
  unserializable = new Set<string>();
  /** Steps one `restore` call runs before it stops for its time budget (null: all). */
  stepsPerCall: number | null = null;
  /** The arguments of every `restore` call, in order. */
  restoreArgs: any[] = [];
  /** Values loads give these variables instead of the payload's (a lossy library pickling). */
  lossyLoads = new Map<string, unknown>();

  constructor(readonly id: string) {}

  /** Run `name = <JSON>` lines; resolves with the error summary of a `raise X` line, else null. */
  run(code: string): string | null {
    for (const line of code
      .split('\n')
      .map(l => l.trim())
      .filter(Boolean)) {
      if (line.startsWith('await ')) {
        continue; // top-level await: only a request of its own can run it (see restoreSteps)
      }
      const raise = /^raise (\w+)$/.exec(line);
      if (raise) {
        return `${raise[1]}: raised`;
      }
      const assign = /^(\w+) = (.+)$/.exec(line);
      if (!assign) {
        return `SyntaxError: ${line}`;
      }
      this.namespace.set(assign[1], JSON.parse(assign[2]));
    }
    return null;
  }

  channel(): IKernelChannel {
    return {
      evaluate: async expression => {
        if (expression === STATUS_EXPRESSION) {
          this.calls.push('status');
          await this.onStatus?.();
          return encode(
            this.agentLoaded
              ? { active: true, runId: this.runId, recorded: this.recorded, acknowledged: this.recorded }
              : { active: false }
          );
        }
        const match = /\.call\("(\w+)", '([A-Za-z0-9+/=]*)'\)$/.exec(expression);
        if (!match) {
          throw new MigrationError(`evaluating ${expression} in the kernel failed: NameError`);
        }
        const [, name, b64] = match;
        this.calls.push(name);
        const gate = this.gates.get(name);
        if (gate) {
          this.gates.delete(name);
          await gate.pass();
        }
        const failure = this.failing.get(name);
        if (failure) {
          throw new MigrationError(failure);
        }
        const answer = encode(this.agentCall(name, JSON.parse(Buffer.from(b64, 'base64').toString('utf8'))));
        const after = this.gatesAfter.get(name);
        if (after) {
          this.gatesAfter.delete(name);
          await after.pass();
        }
        return answer;
      },
      runSilently: async code => {
        this.reruns.push(code);
        return this.run(code);
      }
    };
  }

  private load(dir: string, groups: Array<{ index: number; file: string; checksum: string }>): any[] {
    return groups.map(group => {
      const data = fs.readFileSync(path.join(dir, group.file));
      if (sha(data) !== group.checksum) {
        return { index: group.index, ok: false, error: 'checksum mismatch' };
      }
      for (const [key, value] of Object.entries(JSON.parse(data.toString('utf8')))) {
        this.namespace.set(key, this.lossyLoads.has(key) ? this.lossyLoads.get(key) : value);
      }
      return { index: group.index, ok: true, error: null, loadMs: 1, importMs: 0, bytes: data.length };
    });
  }

  private verify(fingerprints: Record<string, { digest: string }>): unknown {
    const expected = fingerprints;
    const differ = Object.keys(expected).filter(
      n => this.namespace.has(n) && this.fingerprint(n).digest !== expected[n].digest
    );
    const missing = Object.keys(expected).filter(n => !this.namespace.has(n));
    const unexpected = [...this.namespace.keys()].filter(n => !(n in expected));
    return {
      ok: !differ.length && !missing.length && !unexpected.length,
      differ,
      missing,
      unexpected,
      notCompared: []
    };
  }

  private adopt(args: { dir: string; history: string }): { ok: boolean; records: number } {
    const lines = fs.readFileSync(path.join(args.dir, args.history), 'utf8').split('\n').filter(Boolean);
    this.adopted = lines.length;
    return { ok: true, records: lines.length };
  }

  /** The `restore` call: steps in order (at most `stepsPerCall` of them), then verify and adopt. */
  private restoreSteps(args: any): unknown {
    this.restoreArgs.push(args);
    const steps: any[] = [];
    for (const step of args.steps) {
      if (this.stepsPerCall !== null && steps.length >= this.stepsPerCall) {
        return { ok: true, steps, stopped: 'budget' };
      }
      if (step.kind === 'rerun') {
        if (/^await /m.test(step.code)) {
          return { ok: true, steps, stopped: 'event-loop' };
        }
        this.reruns.push(step.code);
        steps.push({ kind: 'rerun', execution: step.execution, error: this.run(step.code), ms: 1 });
      } else {
        const groups = this.load(args.dir, step.groups);
        steps.push({ kind: 'load', groups, ms: 1 });
        if (groups.some(g => !g.ok)) {
          return { ok: true, steps, stopped: 'load-failed' };
        }
      }
    }
    if (!args.finish) {
      return { ok: true, steps, stopped: null }; // as the agent: verify and adopt only when asked
    }
    const verification = this.verify(args.finish.fingerprints);
    return {
      ok: true,
      steps,
      stopped: null,
      verification,
      verifyMs: 1,
      adopted: this.adopt(args.finish.adopt),
      adoptMs: 1
    };
  }

  private fingerprint(name: string): { digest: string; comparable: boolean } {
    return { digest: sha(JSON.stringify(this.namespace.get(name))), comparable: true };
  }

  private agentCall(name: string, args: any): unknown {
    switch (name) {
      case 'checkpoint': {
        const groups = args.groups.map((group: { index: number; members: string[] }) => {
          if (group.members.some(m => this.unserializable.has(m))) {
            return { index: group.index, ok: false, error: `cannot serialize '${group.members[0]}' (generator)` };
          }
          const data = JSON.stringify(Object.fromEntries(group.members.map(m => [m, this.namespace.get(m)])));
          const file = `g${group.index}.pkl`;
          fs.writeFileSync(path.join(args.stagingDir, file), data);
          if (args.progressFile && this.progressLines) {
            // As the agent does: one line per group file, once written.
            const line = { index: group.index, file, bytes: Buffer.byteLength(data) };
            fs.appendFileSync(args.progressFile, JSON.stringify(line) + '\n');
          }
          return {
            index: group.index,
            ok: true,
            error: null,
            file,
            bytes: Buffer.byteLength(data),
            checksum: sha(data),
            serializer: 'pickle',
            serializeMs: 1
          };
        });
        const random = 'random-states';
        fs.writeFileSync(path.join(args.stagingDir, 'random.pkl'), random);
        return {
          groups,
          fingerprints: Object.fromEntries(args.variables.map((v: string) => [v, this.fingerprint(v)])),
          random: { file: 'random.pkl', bytes: random.length, checksum: sha(random) },
          source: { python: '3.11.0', modules: {} },
          serializeMs: 2
        };
      }
      case 'prepare':
        return { ok: true, applied: false };
      case 'load':
        return { groups: this.load(args.dir, args.groups) };
      case 'verify':
        return this.verify(args.fingerprints);
      case 'adopt':
        return this.adopt(args);
      case 'imports':
        return { ok: true, imported: [], skipped: {}, importMs: 0 };
      case 'restore':
        return this.restoreSteps(args);
      default:
        return { ok: false, error: `unknown call ${name}` };
    }
  }
}

/** Fake kernels by id, as `IKernelAccess`. */
export class FakeKernels implements IKernelAccess {
  readonly kernels = new Map<string, FakeKernel>();

  kernel(id: string): FakeKernel {
    let kernel = this.kernels.get(id);
    if (!kernel) {
      kernel = new FakeKernel(id);
      this.kernels.set(id, kernel);
    }
    return kernel;
  }

  channel(kernelId: string): IKernelChannel {
    return this.kernel(kernelId).channel();
  }

  async restart(kernelId: string): Promise<void> {
    const kernel = this.kernels.get(kernelId);
    if (!kernel) {
      throw new MigrationError(`kernel ${kernelId} is not running any more (while restarting the kernel)`);
    }
    kernel.restarts += 1;
    kernel.namespace = new Map();
    kernel.agentLoaded = false;
    kernel.recorded = 0;
    kernel.runId = `run-${kernel.restarts + 1}`;
  }

  async bootstrap(kernelId: string): Promise<void> {
    this.kernel(kernelId).agentLoaded = true;
  }

  /** Sessions opened by `createSession`, by id: the notebook path and the kernel. */
  readonly sessions = new Map<string, { notebookPath: string; kernelId: string }>();

  async createSession(notebookPath: string, _kernelName: string | null): Promise<ISessionIds> {
    const n = this.sessions.size + 1;
    const kernel = this.kernel(`kernel-new-${n}`);
    kernel.agentLoaded = false;
    this.sessions.set(`session-${n}`, { notebookPath, kernelId: kernel.id });
    return { sessionId: `session-${n}`, kernelId: kernel.id };
  }

  async deleteSession(sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (session) {
      this.kernels.delete(session.kernelId);
      this.sessions.delete(sessionId);
    }
  }

  /** Kernels started by `startKernel` (no session yet). */
  private started = 0;

  async startKernel(_notebookPath: string, _kernelName: string | null): Promise<string> {
    this.started += 1;
    const kernel = this.kernel(`kernel-started-${this.started}`);
    kernel.agentLoaded = false;
    return kernel.id;
  }

  async moveSessions(from: string, to: string): Promise<string[]> {
    const moved = [...this.sessions].filter(([, session]) => session.kernelId === from);
    moved.forEach(([, session]) => (session.kernelId = to));
    return moved.map(([id]) => id);
  }

  async shutdown(kernelId: string): Promise<void> {
    if (!this.kernels.delete(kernelId)) {
      throw new MigrationError(`kernel ${kernelId} is not running any more (while shutting the kernel down)`);
    }
    for (const [id, session] of this.sessions) {
      if (session.kernelId === kernelId) {
        this.sessions.delete(id);
      }
    }
  }
}
