/**
 * Marks read from a notebook file: cell metadata `elastic_notebook.neverRerun`, notebook metadata
 * `elastic_notebook.alwaysCopy` / `neverCopy`, their validation, and that they reach the plan.
 */
import { HistoryGraph } from '../../src/ahg/index';
import { fromGraph, MarksError, plan } from '../../src/planner/index';
import { marksFromNotebook } from '../../src/planner/notebookMarks';

interface ICellSpec {
  id?: string;
  type?: 'code' | 'markdown';
  metadata?: Record<string, unknown>;
}

/** An nbformat notebook of the given cells (ids only where given). */
function notebook(cells: ICellSpec[], metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3' }, ...metadata },
    cells: cells.map(c => ({
      cell_type: c.type ?? 'code',
      ...(c.id !== undefined ? { id: c.id } : {}),
      metadata: c.metadata ?? {},
      source: '',
      ...(c.type === 'markdown' ? {} : { outputs: [], execution_count: null })
    }))
  };
}

const never = { elastic_notebook: { neverRerun: true } };

describe('marksFromNotebook reads', () => {
  test('a notebook without marks gives no marks', () => {
    expect(marksFromNotebook(notebook([{ id: 'a' }, { id: 'b', type: 'markdown' }]))).toEqual({
      neverRerun: { cellIds: [], cellIndices: [] },
      alwaysCopy: [],
      neverCopy: []
    });
  });

  test('marked cells by id, or by position among all cells when they have no id', () => {
    const nb = notebook([
      { id: 'first', metadata: never },
      { type: 'markdown' },
      { id: 'off', metadata: { elastic_notebook: { neverRerun: false } } },
      { metadata: never },
      { id: 'other', metadata: { elastic_notebook: { somethingElse: 1 }, tags: ['x'] } },
      { id: 'last', metadata: never }
    ]);
    expect(marksFromNotebook(nb).neverRerun).toEqual({ cellIds: ['first', 'last'], cellIndices: [3] });
  });

  test('variable marks from the notebook metadata, repeated names once, other keys ignored', () => {
    const nb = notebook([{ id: 'a' }], {
      elastic_notebook: { alwaysCopy: ['model', 'df', 'model'], neverCopy: ['conn'], lastCheckpoint: 'x' }
    });
    const marks = marksFromNotebook(nb);
    expect(marks.alwaysCopy).toEqual(['model', 'df']);
    expect(marks.neverCopy).toEqual(['conn']);
  });

  test('the notebook as JSON text', () => {
    const text = JSON.stringify(notebook([{ id: 'c1', metadata: never }], { elastic_notebook: { neverCopy: ['f'] } }));
    expect(marksFromNotebook(text)).toEqual({
      neverRerun: { cellIds: ['c1'], cellIndices: [] },
      alwaysCopy: [],
      neverCopy: ['f']
    });
  });
});

describe('marksFromNotebook rejects malformed marks, saying where', () => {
  const cases: Array<[string, unknown, string | RegExp]> = [
    ['not an object', [1, 2], 'notebook: must be an nbformat notebook (a JSON object with a "cells" list)'],
    ['null', null, 'notebook: must be an nbformat notebook (a JSON object with a "cells" list)'],
    ['text that is not JSON', '{"cells": [', /^notebook: not JSON \(.+\)$/],
    ['no cells', { metadata: {} }, 'cells: must be a list of cells'],
    ['a cell that is not an object', { cells: [{}, 'x'] }, 'cells[1]: must be an object'],
    ['cell metadata not an object', { cells: [{ metadata: 3 }] }, 'cells[0].metadata: must be an object'],
    [
      'cell marks not an object',
      notebook([{ id: 'a' }, { id: 'b', metadata: { elastic_notebook: true } }]),
      'cells[1].metadata.elastic_notebook: must be an object'
    ],
    [
      'neverRerun not a boolean',
      notebook([{ id: 'a' }, { id: 'b' }, { id: 'c', metadata: { elastic_notebook: { neverRerun: 'yes' } } }]),
      'cells[2].metadata.elastic_notebook.neverRerun: must be true or false'
    ],
    ['an empty cell id', notebook([{ id: '', metadata: never }]), 'cells[0].id: cannot be empty'],
    [
      'notebook marks not an object',
      notebook([], { elastic_notebook: ['x'] }),
      'metadata.elastic_notebook: must be an object'
    ],
    [
      'alwaysCopy not a list',
      notebook([], { elastic_notebook: { alwaysCopy: 'df' } }),
      'metadata.elastic_notebook.alwaysCopy: must be a list of variable names'
    ],
    [
      'an empty variable name',
      notebook([], { elastic_notebook: { neverCopy: ['ok', ''] } }),
      'metadata.elastic_notebook.neverCopy[1]: variable names cannot be empty'
    ],
    [
      'a variable marked both ways',
      notebook([], { elastic_notebook: { alwaysCopy: ['df'], neverCopy: ['df'] } }),
      'metadata.elastic_notebook.alwaysCopy: variable \'df\' is marked both "always copy" and "never copy"; remove one of the marks'
    ]
  ];
  test.each(cases)('%s', (_name, json, message) => {
    const read = () => marksFromNotebook(json);
    expect(read).toThrow(MarksError);
    // An Error instance makes toThrow compare the whole message.
    expect(read).toThrow(typeof message === 'string' ? new Error(message) : message);
  });
});

test('marks read from the notebook change the plan', () => {
  // A slow cell makes `model` (cheap to copy), a fast one makes `big` (100 MB: dear to copy).
  const graph = new HistoryGraph();
  const cells = [
    { id: 'train', writes: ['model'], ms: 60_000, size: 1000 },
    { id: 'load', writes: ['big'], ms: 5, size: 100e6 }
  ];
  cells.forEach((c, seq) =>
    graph.add({
      seq,
      cellIndex: seq,
      cellId: c.id,
      executionCount: seq + 1,
      code: '',
      startedAtMs: 0,
      durationMs: c.ms,
      error: null,
      reads: [],
      writes: c.writes,
      deletes: [],
      groups: cells.slice(0, seq + 1).map(p => p.writes),
      variables: { [c.writes[0]]: { size: c.size, serializable: true } }
    })
  );
  const planWith = (nb: Record<string, unknown>) => {
    const result = plan(fromGraph(graph, { objective: 'balanced', marks: marksFromNotebook(nb) }));
    if (!result.feasible) {
      throw new Error(result.infeasibility.message);
    }
    return { copy: result.copy, rerun: result.rerun };
  };
  expect(planWith(notebook([{ id: 'train' }, { id: 'load' }]))).toEqual({ copy: ['model'], rerun: [1] });
  // "never re-run" on the fast cell and "never copy" on the model turn both decisions around.
  const marked = notebook([{ id: 'train' }, { id: 'load', metadata: never }], {
    elastic_notebook: { neverCopy: ['model'] }
  });
  expect(planWith(marked)).toEqual({ copy: ['big'], rerun: [0] });
});
