import { HTMLSelect } from '@jupyterlab/ui-components';
import React from 'react';
import { VariableMark } from './marks';
import { NotebookMarks } from './marksModel';

/** The choices, as the selector lists them. */
const CHOICES: Array<{ value: VariableMark; label: string }> = [
  { value: 'auto', label: 'auto' },
  { value: 'always-copy', label: 'always copy' },
  { value: 'never-copy', label: 'never copy' }
];

/**
 * Choose what a checkpoint may do with a variable: let the planner decide ("auto"), always copy it
 * (never recompute), or never copy it (for example a connection or a secret). The choice is stored
 * in the notebook's metadata.
 */
export function VariableMarkSelect({ marks, name }: { marks: NotebookMarks; name: string }): JSX.Element {
  return (
    <HTMLSelect
      className="jp-ElasticNotebook-markSelect"
      aria-label={`Checkpoint mark of ${name}`}
      title={`What a checkpoint may do with ${name}`}
      value={marks.markOf(name)}
      disabled={!marks.notebook}
      options={CHOICES}
      onChange={event => marks.setMark(name, event.currentTarget.value as VariableMark)}
    />
  );
}
