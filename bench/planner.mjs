// `npm run bench -- planner [--sizes 2000,20000,200000] [--runs N]`: time the replication planner
// on synthetic AHGs of realistic shapes, with memory use, the baselines priced by the same model,
// and (at 2,000 executions) the time HiGHS takes to solve the same problem as a linear program.
//
// Uses the compiled planner (server/lib); `npm run bench` builds it through setup.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const libPath = path.join(ROOT, 'server', 'lib', 'planner', 'index.js');
if (!fs.existsSync(libPath)) {
  process.stderr.write('server/lib/planner is missing: build it with `npx tsc -p server` (or `npm run setup`)\n');
  process.exit(1);
}
const { plan, costModel } = require(libPath);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const SIZES = option('sizes', '2000,20000,200000').split(',').map(Number);
const RUNS = Number(option('runs', 0));

/** A small deterministic PRNG, so every run benchmarks the same graphs. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-uniform between lo and hi. */
const logUniform = (rand, lo, hi) => Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));

/**
 * Simulates a session and builds the planner input exactly as fromGraph would: snapshots per
 * write, reads of the latest version, active = latest version of a live variable, depends =
 * producers of non-active inputs.
 */
class Session {
  constructor(seed) {
    this.rand = rng(seed);
    this.latest = new Map(); // name -> snapshot id
    this.snapshots = []; // {name, producer, size, serializable}
    this.executions = []; // {durationMs, inputs: snapshot ids, cellIndex}
  }

  run(cellIndex, reads, writes, durationMs) {
    const index = this.executions.length;
    const inputs = [];
    for (const name of reads) {
      const id = this.latest.get(name);
      if (id !== undefined) {
        inputs.push(id);
      }
    }
    for (const name of writes) {
      this.latest.set(name, this.snapshots.length);
      this.snapshots.push({
        name,
        producer: index,
        size: Math.round(logUniform(this.rand, 1e3, 2e9)),
        serializable: this.rand() > 0.005
      });
    }
    this.executions.push({ durationMs: durationMs ?? logUniform(this.rand, 0.5, 60_000), inputs, cellIndex });
  }

  input(objective) {
    const active = new Set(this.latest.values());
    const executions = this.executions.map((e, index) => {
      const depends = new Set();
      for (const id of e.inputs) {
        if (!active.has(id)) {
          depends.add(this.snapshots[id].producer);
        }
      }
      return {
        index,
        cellIndex: e.cellIndex,
        cellId: null,
        durationMs: e.durationMs,
        depends: [...depends].sort((a, b) => a - b),
        unresolvedInputs: [],
        neverRerun: false,
        replayFailed: false
      };
    });
    const groups = [...active]
      .sort((a, b) => a - b)
      .map(id => {
        const s = this.snapshots[id];
        return {
          members: [s.name],
          sizeBytes: s.size,
          unserializable: s.serializable ? [] : [s.name],
          producers: [s.producer],
          external: [],
          neverCopy: [],
          alwaysCopy: []
        };
      });
    return { objective, costModel: costModel(objective, {}), groups, executions };
  }
}

const SHAPES = {
  /** A dataframe transformed step by step; every 50 steps a summary is kept (active). */
  'long chain'(n, seed) {
    const s = new Session(seed);
    s.run(0, [], ['df']);
    for (let i = 1; i < n; i++) {
      if (i % 50 === 0) {
        s.run(i, ['df'], [`summary_${i}`]);
      } else if (i % 7 === 0) {
        s.run(i, ['df', 'lookup'], ['df', 'lookup']);
      } else {
        s.run(i, ['df'], ['df']);
      }
    }
    return s;
  },
  /** One dataset, many models fitted on it; the dataset is reloaded now and then. */
  'wide fan-out'(n, seed) {
    const s = new Session(seed);
    s.run(0, [], ['data']);
    for (let i = 1; i < n; i++) {
      if (i % 500 === 0) {
        s.run(i, ['data'], ['data']);
      } else {
        s.run(i, ['data', `params_${i % 40}`], [`model_${i}`]);
      }
    }
    return s;
  },
  /** 30 cells over 40 variables re-run again and again in a random order. */
  're-executions'(n, seed) {
    const s = new Session(seed);
    const cells = Array.from({ length: 30 }, () => ({
      reads: Array.from({ length: 1 + Math.floor(s.rand() * 3) }, () => `v${Math.floor(s.rand() * 40)}`),
      writes: Array.from({ length: 1 + Math.floor(s.rand() * 2) }, () => `v${Math.floor(s.rand() * 40)}`),
      ms: logUniform(s.rand, 1, 30_000)
    }));
    for (let i = 0; i < n; i++) {
      const c = Math.floor(s.rand() * cells.length);
      s.run(c, cells[c].reads, [...new Set(cells[c].writes)], cells[c].ms);
    }
    return s;
  }
};

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const fmtMs = ms => (ms < 10 ? ms.toFixed(2) : ms < 1000 ? ms.toFixed(1) : ms.toFixed(0));
const fmtS = ms => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(0)} s`);

/** The same problem as an LP in CPLEX format (x_g = recompute, y_e = re-run), for HiGHS. */
function asLp(input, caps) {
  const obj = [];
  const rows = [];
  const bounds = [];
  input.groups.forEach((g, i) => {
    if (caps.copy[i] === Infinity) {
      bounds.push(` x${i} = 1`);
    } else {
      obj.push(`- ${caps.copy[i] / 1000} x${i}`);
      bounds.push(` 0 <= x${i} <= 1`);
    }
    g.producers.forEach(p => rows.push(` g${i}_${p}: y${p} - x${i} >= 0`));
  });
  input.executions.forEach((e, j) => {
    obj.push(`+ ${caps.rerun[j] / 1000} y${j}`);
    bounds.push(` 0 <= y${j} <= 1`);
    e.depends.forEach(d => rows.push(` e${j}_${d}: y${d} - y${j} >= 0`));
  });
  const constant = input.groups.reduce((sum, _, i) => (caps.copy[i] === Infinity ? sum : sum + caps.copy[i] / 1000), 0);
  return {
    lp: ['Minimize', ` obj: ${obj.join(' ')}`, 'Subject To', ...rows, 'Bounds', ...bounds, 'End'].join('\n'),
    constant
  };
}

async function main() {
  const { capacities } = require(libPath);
  let highs;
  try {
    highs = await require('highs')();
  } catch {
    highs = null;
  }
  const rows = [];
  for (const size of SIZES) {
    for (const [shape, make] of Object.entries(SHAPES)) {
      gc();
      const before = process.memoryUsage().heapUsed;
      const input = make(size, size ^ shape.length).input('balanced');
      gc();
      const inputHeap = process.memoryUsage().heapUsed - before;
      const runs = RUNS || (size <= 2000 ? 21 : size <= 20000 ? 9 : 5);
      // Memory: heap growth of one plan (garbage included) from a collected heap.
      gc();
      const base = process.memoryUsage().heapUsed;
      let result = plan(input);
      const peak = process.memoryUsage().heapUsed - base;
      // Time: no forced collection between runs (it flushes compiled code and skews small sizes).
      const times = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        result = plan(input);
        times.push(performance.now() - t0);
      }
      const row = {
        size,
        shape,
        groups: input.groups.length,
        planMs: median(times),
        inputMB: inputHeap / 2 ** 20,
        planMB: peak / 2 ** 20,
        result
      };
      if (highs && size <= 2000) {
        const caps = capacities(input);
        const { lp, constant } = asLp(input, caps);
        const t0 = performance.now();
        const solution = highs.solve(lp, { output_flag: false });
        row.highsMs = performance.now() - t0;
        row.highsAgrees =
          solution.Status === 'Optimal' &&
          Math.abs(solution.ObjectiveValue + constant - result.estimate.objectiveCost) <=
            1e-6 * Math.max(1, result.estimate.objectiveCost) + 0.01;
      }
      rows.push(row);
      process.stderr.write(`  ${shape} ${size}: ${fmtMs(row.planMs)} ms\n`);
    }
  }

  const header = [
    'executions',
    'shape',
    'groups',
    'plan ms (median)',
    'heap MB input/plan',
    'plan total',
    'copy-all',
    'recompute-all',
    'HiGHS LP ms (ratio)'
  ];
  const table = rows.map(r => {
    const p = r.result;
    const base = b => (b.feasible ? fmtS(b.totalMs) : 'infeasible');
    return [
      String(r.size),
      r.shape,
      String(r.groups),
      fmtMs(r.planMs),
      `${Math.max(0, r.inputMB).toFixed(1)} / ${Math.max(0, r.planMB).toFixed(1)}`,
      p.feasible ? fmtS(p.estimate.totalMs) : 'infeasible',
      p.feasible ? base(p.baselines.copyAll) : '',
      p.feasible ? base(p.baselines.recomputeAll) : '',
      r.highsMs === undefined
        ? ''
        : `${fmtMs(r.highsMs)} (x${(r.highsMs / r.planMs).toFixed(0)})${r.highsAgrees ? '' : ' DISAGREES'}`
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map(row => row[i].length)));
  const line = row => row.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  console.log(line(header));
  console.log(widths.map(w => '-'.repeat(w)).join('  '));
  table.forEach(row => console.log(line(row)));
  console.log('\nTargets: < 20 ms at 2,000 executions, < 1 s at 200,000 (one core). Plan times include validation,');
  console.log('the cut, the explanation of every group and the baselines. "heap MB" is the input graph retained and');
  console.log('the extra heap during planning. Plan total and baselines are estimated migrate + restore times.');
  const slow = rows.filter(r => (r.size <= 2000 && r.planMs >= 20) || (r.size <= 200000 && r.planMs >= 1000));
  const wrong = rows.filter(r => r.highsAgrees === false);
  if (slow.length > 0 || wrong.length > 0) {
    console.log(
      `\nMISSED: ${slow
        .map(r => `${r.shape} ${r.size}`)
        .concat(wrong.map(r => `HiGHS disagrees on ${r.shape}`))
        .join(', ')}`
    );
    process.exitCode = 1;
  }
}

main().catch(err => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
