/**
 * Which variables need which modules (moduleNeeds.ts), and the pre-migration comparison with the
 * target's modules (targetModules.ts) against a fake target client: a module a variable needs
 * fails with its name and variables, anything else is a warning step.
 */
import type { MachineInfo } from '@elastic-notebook/protocol';
import { HistoryGraph } from '../../src/ahg/graph';
import type { IExecutionRecord } from '../../src/ahg/types';
import type { IJobContext } from '../../src/jobs/job';
import { directImports, infoModules, variablesByModule } from '../../src/migrate/moduleNeeds';
import { checkTargetModules, missingModulesMessage } from '../../src/migrate/targetModules';
import { TargetClient, TargetError } from '../../src/transfer/targetClient';
import { record } from '../companion/records';
import { machine as machineFacts } from '../../../src/targets/__tests__/targetFixtures';

/** A cell: its code, what it writes (with the type of each value), reads and loaded. */
interface ICell {
  code: string;
  writes?: Record<string, string>;
  reads?: string[];
  packages?: string[];
}

/** A graph of `cells`, recorded in order. */
function session(cells: ICell[]) {
  const graph = new HistoryGraph();
  const live: string[] = [];
  cells.forEach((cell, seq) => {
    const writes = Object.keys(cell.writes ?? {});
    live.push(...writes.filter(name => !live.includes(name)));
    const fields: Partial<IExecutionRecord> = {
      code: cell.code,
      reads: cell.reads ?? [],
      writes,
      groups: live.map(name => [name]),
      variables: Object.fromEntries(Object.entries(cell.writes ?? {}).map(([name, type]) => [name, { type }])),
      packagesLoaded: cell.packages ?? []
    };
    graph.add(record(seq, fields));
  });
  return graph;
}

const LABTOOLS_SESSION: ICell[] = [
  {
    code: 'import numpy as np, labtools',
    writes: { np: 'builtins.module', labtools: 'builtins.module' },
    packages: ['labtools', 'numpy']
  },
  { code: 'sample = labtools.Sample(3)', writes: { sample: 'labtools.Sample' }, reads: ['labtools'] },
  { code: 'rows = [sample, sample]', writes: { rows: 'builtins.list' }, reads: ['sample'] },
  {
    code: 'plain = [1, 2]\nfrom pandas.core import frame as fr',
    writes: { plain: 'builtins.list', fr: 'builtins.module' },
    packages: ['pandas', 'pytz']
  },
  { code: 'n = len(plain)', writes: { n: 'builtins.int' }, reads: ['plain'] }
];

/** The target's facts: `modules` as its Python answers them (no Python at all unless `python`). */
function machine(modules: Record<string, string | null>, python = true): MachineInfo {
  return machineFacts({ modules, ...(python ? {} : { python: null }) });
}

/** A job context that keeps its steps. */
function context(): IJobContext & { steps: string[] } {
  const steps: string[] = [];
  return { signal: new AbortController().signal, step: m => steps.push(m), progress: () => undefined, steps };
}

/** A target client whose machine route answers `answer` (or throws it), remembering the path asked. */
function client(answer: MachineInfo | Error): TargetClient & { asked: string[] } {
  const fake = new TargetClient({ name: 'gpu', kind: 'jupyter', url: 'http://gpu.example:8888/', token: 't' });
  const asked: string[] = [];
  fake.json = (async (apiPath: string) => {
    asked.push(apiPath);
    if (answer instanceof Error) {
      throw answer;
    }
    return answer;
  }) as TargetClient['json'];
  return Object.assign(fake, { asked });
}

/** The notebook's folder: `proj` under the Jupyter root. */
const FOLDER = { relative: 'proj', absolute: '/root/proj' };

describe('directImports', () => {
  it('names the top-level modules of import statements only', () => {
    expect(
      directImports('import a.b, c as d\nfrom e.f import g\n  import h  # i\nx = "import j"\nfrom . import k')
    ).toEqual(['a', 'c', 'e', 'h']);
    expect(directImports('x = 1')).toEqual([]);
  });
});

describe('infoModules', () => {
  it("names a value's type module and a class or function's defining module, never builtins or __main__", () => {
    expect(infoModules({ type: 'pandas.core.frame.DataFrame' })).toEqual(['pandas']);
    expect(infoModules({ type: 'builtins.function', definedIn: 'labtools.helpers' })).toEqual(['labtools']);
    expect(infoModules({ type: 'builtins.type', definedIn: '__main__' })).toEqual([]);
    expect(infoModules(null)).toEqual([]);
  });
});

describe('variablesByModule', () => {
  it('follows a module from its import through the values computed from it', () => {
    const byModule = variablesByModule(session(LABTOOLS_SESSION));
    expect(byModule.get('labtools')).toEqual(['labtools', 'np', 'rows', 'sample']);
    expect(byModule.get('numpy')).toEqual(['labtools', 'np', 'rows', 'sample']);
    expect(byModule.get('pandas')).toEqual(['fr', 'n', 'plain']);
    // pytz was loaded by pandas on its own, never imported by the session's code.
    expect(byModule.has('pytz')).toBe(false);
  });
});

describe('checkTargetModules', () => {
  const graph = () => session(LABTOOLS_SESSION);

  it('asks the target about every module the session uses or loaded, and passes when it has them', async () => {
    const target = client(machine({ labtools: 'unknown', numpy: '2.0.0', pandas: '2.2.0', pytz: '2024.1' }));
    const ctx = context();
    await checkTargetModules(target, graph(), ctx, FOLDER);
    expect(target.asked).toEqual([
      `elastic-notebook/api/machine?modules=${encodeURIComponent('labtools,numpy,pandas,pytz')}&folder=proj`
    ]);
    expect(ctx.steps).toEqual([]);
  });

  it('fails naming the missing module and the variables that need it', async () => {
    const target = client(machine({ labtools: null, numpy: '2.0.0', pandas: null, pytz: null }));
    await expect(checkTargetModules(target, graph(), context(), FOLDER)).rejects.toThrow(
      'the target cannot import modules labtools (needed by labtools, np, rows, sample); pandas (needed by fr, n, plain): install them there first'
    );
  });

  it('only warns about a missing module no variable needs, and about versions that differ', async () => {
    const target = client(machine({ labtools: 'unknown', numpy: '1.26.0', pandas: '2.2.0', pytz: null }));
    const ctx = context();
    const asked: Array<string | undefined> = [];
    const here = {
      collect: async (_modules: string[], folder?: string) => {
        asked.push(folder);
        return machine({ labtools: 'unknown', numpy: '2.0.0', pandas: '2.2.0', pytz: '2024.1' });
      }
    };
    await checkTargetModules(target, graph(), ctx, FOLDER, here);
    expect(asked).toEqual(['/root/proj']);
    expect(ctx.steps).toEqual([
      'warning: pytz is not installed on gpu (http://gpu.example:8888/) (the session loaded it; no variable needs it)',
      'warning: numpy 2.0.0 here, 1.26.0 on gpu (http://gpu.example:8888/)'
    ]);
  });

  it('warns and goes on when the target cannot tell, and asks nothing of a session without modules', async () => {
    const ctx = context();
    await checkTargetModules(client(machine({ labtools: null }, false)), graph(), ctx, FOLDER);
    expect(ctx.steps).toEqual([
      'warning: gpu (http://gpu.example:8888/) cannot tell which modules its Python has; not compared'
    ]);

    const old = context();
    await checkTargetModules(client(new TargetError(404, 'no such route')), graph(), old, FOLDER);
    expect(old.steps).toEqual(['warning: cannot compare modules with gpu (http://gpu.example:8888/) (no such route)']);

    const bare = client(machine({}));
    await checkTargetModules(bare, session([{ code: 'x = 1', writes: { x: 'builtins.int' } }]), context(), FOLDER);
    expect(bare.asked).toEqual([]);
  });

  it('lets a refused token or an unreachable target fail the migration', async () => {
    await expect(
      checkTargetModules(client(new TargetError(0, 'cannot reach')), graph(), context(), FOLDER)
    ).rejects.toThrow('cannot reach');
  });
});

describe('missingModulesMessage', () => {
  it('says module or modules, it or them', () => {
    expect(missingModulesMessage([{ module: 'a', variables: ['x'] }])).toBe(
      'the target cannot import module a (needed by x): install it there first'
    );
  });
});
