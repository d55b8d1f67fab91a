import { NotebookModel } from '@jupyterlab/notebook';
import { isNeverRerun, MARKS_KEY, marksOf, setNeverRerun, setVariableMark, variableMark } from '../marks';

/** A real notebook model with `sources` as code cells (and one markdown cell first). */
function notebook(...sources: string[]): NotebookModel {
  const model = new NotebookModel();
  model.sharedModel.insertCells(0, [
    { cell_type: 'markdown', source: '# title' },
    ...sources.map(source => ({ cell_type: 'code' as const, source }))
  ]);
  return model;
}

// A notebook model outside a document warns on first reads (Yjs); these specs read it on purpose.
beforeAll(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
afterAll(() => jest.restoreAllMocks());

describe('cell marks', () => {
  it('marks and unmarks a cell "never re-run", keeping other keys of the extension', () => {
    const model = notebook('train()');
    const cell = model.cells.get(1);
    cell.setMetadata(MARKS_KEY, { other: 1 });
    expect(isNeverRerun(cell)).toBe(false);
    setNeverRerun(cell, true);
    expect(isNeverRerun(cell)).toBe(true);
    expect(cell.getMetadata(MARKS_KEY)).toEqual({ other: 1, neverRerun: true });
    setNeverRerun(cell, false);
    expect(cell.getMetadata(MARKS_KEY)).toEqual({ other: 1 });
  });

  it('removes the key altogether when nothing is left under it', () => {
    const cell = notebook('x = 1').cells.get(1);
    setNeverRerun(cell, true);
    setNeverRerun(cell, false);
    expect(cell.getMetadata(MARKS_KEY)).toBeUndefined();
  });

  it('reads malformed metadata as unmarked', () => {
    const cell = notebook('x = 1').cells.get(1);
    cell.setMetadata(MARKS_KEY, ['neverRerun']);
    expect(isNeverRerun(cell)).toBe(false);
    cell.setMetadata(MARKS_KEY, { neverRerun: 'yes' });
    expect(isNeverRerun(cell)).toBe(false);
  });
});

describe('variable marks', () => {
  it('keeps a variable in at most one sorted list', () => {
    const model = notebook();
    expect(variableMark(model, 'df')).toBe('auto');
    setVariableMark(model, 'df', 'always-copy');
    setVariableMark(model, 'a', 'always-copy');
    expect(model.getMetadata(MARKS_KEY)).toEqual({ alwaysCopy: ['a', 'df'] });
    setVariableMark(model, 'df', 'never-copy');
    expect(variableMark(model, 'df')).toBe('never-copy');
    expect(model.getMetadata(MARKS_KEY)).toEqual({ alwaysCopy: ['a'], neverCopy: ['df'] });
    setVariableMark(model, 'a', 'auto');
    setVariableMark(model, 'df', 'auto');
    expect(model.getMetadata(MARKS_KEY)).toBeUndefined();
  });

  it('ignores names that are not strings', () => {
    const model = notebook();
    model.setMetadata(MARKS_KEY, { alwaysCopy: [3, 'df'] });
    expect(variableMark(model, 'df')).toBe('always-copy');
  });
});

describe('marksOf', () => {
  it('names marked code cells by id and sends the variable lists as stored', () => {
    const model = notebook('load()', 'train()', 'plot()');
    setNeverRerun(model.cells.get(2), true);
    // A markdown cell marked by hand is not a code cell: it is never re-run anyway.
    model.cells.get(0).setMetadata(MARKS_KEY, { neverRerun: true });
    model.setMetadata(MARKS_KEY, { alwaysCopy: ['model'], neverCopy: ['cache'] });
    expect(marksOf(model)).toEqual({
      neverRerun: { cellIds: [model.cells.get(2).id], cellIndices: [] },
      alwaysCopy: ['model'],
      neverCopy: ['cache']
    });
  });

  it('gives empty marks for an unmarked notebook', () => {
    expect(marksOf(notebook('x = 1'))).toEqual({
      neverRerun: { cellIds: [], cellIndices: [] },
      alwaysCopy: [],
      neverCopy: []
    });
  });
});
