import { HTMLSelect } from '@jupyterlab/ui-components';
import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';
import { ENGLISH } from '../shared/translation';
import { VariableMark } from './marks';
import { NotebookMarks } from './marksModel';

/** The choices, as the selector lists them. */
const choices = (trans: TranslationBundle): Array<{ value: VariableMark; label: string }> => [
  { value: 'auto', label: trans.__('auto') },
  { value: 'always-copy', label: trans.__('always copy') },
  { value: 'never-copy', label: trans.__('never copy') }
];

/**
 * Choose what a checkpoint may do with a variable: let the planner decide ("auto"), always copy it
 * (never recompute), or never copy it (for example a connection or a secret). The choice is stored
 * in the notebook's metadata.
 */
export function VariableMarkSelect({
  marks,
  name,
  trans = ENGLISH
}: {
  marks: NotebookMarks;
  name: string;
  trans?: TranslationBundle;
}): JSX.Element {
  return (
    <HTMLSelect
      className="jp-ElasticNotebook-markSelect"
      aria-label={trans.__('Checkpoint mark of %1', name)}
      title={trans.__('What a checkpoint may do with %1', name)}
      value={marks.markOf(name)}
      disabled={!marks.notebook}
      options={choices(trans)}
      onChange={event => marks.setMark(name, event.currentTarget.value as VariableMark)}
    />
  );
}
