import { NotebookModel } from '@jupyterlab/notebook';
import { MARKS_KEY, setNeverRerun } from '../marks';
import { NotebookMarks } from '../marksModel';

/** A real notebook model with `sources` as code cells. */
function notebook(...sources: string[]): NotebookModel {
  const model = new NotebookModel();
  model.sharedModel.insertCells(
    0,
    sources.map(source => ({ cell_type: 'code' as const, source }))
  );
  return model;
}

// A notebook model outside a document warns on first reads (Yjs); these specs read it on purpose.
beforeAll(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
afterAll(() => jest.restoreAllMocks());

describe('NotebookMarks', () => {
  let marks: NotebookMarks;
  let changes: number;
  beforeEach(() => {
    marks = new NotebookMarks();
    changes = 0;
    marks.changed.connect(() => changes++);
  });
  afterEach(() => marks.dispose());

  it('has no marks and reads every variable as auto without a notebook', () => {
    expect(marks.notebook).toBeNull();
    expect(marks.markOf('model')).toBe('auto');
    marks.setMark('model', 'never-copy');
    expect(marks.marks()).toEqual({ neverRerun: { cellIds: [], cellIndices: [] }, alwaysCopy: [], neverCopy: [] });
  });

  it('follows a notebook and says so once', () => {
    const model = notebook('x = 1');
    marks.setNotebook(model);
    marks.setNotebook(model);
    expect(marks.notebook).toBe(model);
    expect(changes).toBe(1);
  });

  it("stores a variable's mark in the notebook and reports the change", () => {
    const model = notebook('x = 1');
    marks.setNotebook(model);
    changes = 0;
    marks.setMark('model', 'always-copy');
    expect(marks.markOf('model')).toBe('always-copy');
    expect(marks.marks().alwaysCopy).toEqual(['model']);
    expect(model.getMetadata(MARKS_KEY)).toEqual({ alwaysCopy: ['model'] });
    expect(changes).toBe(1);
  });

  it('reports a cell marked elsewhere (its menu, an undo), and not a cell added unmarked', () => {
    const model = notebook('x = 1', 'train()');
    marks.setNotebook(model);
    changes = 0;
    setNeverRerun(model.cells.get(1), true);
    expect(changes).toBe(1);
    expect(marks.marks().neverRerun.cellIds).toEqual([model.cells.get(1).id]);
    model.sharedModel.insertCell(2, { cell_type: 'code', source: 'y = 2' });
    expect(changes).toBe(1);
  });

  it('stops following the old notebook when another is shown', () => {
    const first = notebook('x = 1');
    const second = notebook('y = 2');
    marks.setNotebook(first);
    marks.setNotebook(second);
    changes = 0;
    first.setMetadata(MARKS_KEY, { neverCopy: ['x'] });
    setNeverRerun(first.cells.get(0), true);
    expect(changes).toBe(0);
    expect(marks.markOf('x')).toBe('auto');
  });

  it('stops emitting once disposed', () => {
    const model = notebook('x = 1');
    marks.setNotebook(model);
    marks.dispose();
    changes = 0;
    setNeverRerun(model.cells.get(0), true);
    expect(marks.isDisposed).toBe(true);
    expect(changes).toBe(0);
  });
});
