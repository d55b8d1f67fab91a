import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';
import { ENGLISH } from '../shared/translation';
import type { IGraphVariable, IHistoryGraph } from '@elastic-notebook/protocol';
import { NotebookMarks } from '../marks/marksModel';
import { HistoryModel } from './historyModel';
import { VariableMarkSelect } from '../marks/VariableMarkSelect';

/**
 * The variable snapshots of the shown kernel: the live ones, then (under "Earlier versions") the
 * versions they replaced and deleted variables. Each live variable has its checkpoint mark (auto,
 * always copy, never copy). Five narrow columns, so that the table fits the sidebar.
 */
export function VariablesView({
  model,
  marks,
  trans = ENGLISH
}: {
  model: HistoryModel;
  marks: NotebookMarks;
  trans?: TranslationBundle;
}): JSX.Element {
  const graph = model.graph;
  if (!graph || graph.variables.length === 0) {
    return <p className="jp-ElasticNotebook-empty">{trans.__('No variables recorded yet.')}</p>;
  }
  const groupOf = groupNumbers(graph);
  const byName = (a: IGraphVariable, b: IGraphVariable) => a.name.localeCompare(b.name) || b.version - a.version;
  const live = graph.variables.filter(v => v.active).sort(byName);
  const earlier = graph.variables.filter(v => !v.active).sort(byName);
  const row = (variable: IGraphVariable) => (
    <VariableRow
      key={`${variable.name}@${variable.version}`}
      variable={variable}
      group={groupOf.get(variable.name)}
      marks={marks}
      trans={trans}
    />
  );
  return (
    <table className="jp-ElasticNotebook-table jp-ElasticNotebook-variables">
      <thead>
        <tr>
          <th>{trans.__('Name')}</th>
          <th title={trans.__('Version: how many times an execution wrote it before')}>{trans.__('Ver.')}</th>
          <th title={trans.__('Variables sharing objects form one group, copied or recomputed together')}>
            {trans.__('Group')}
          </th>
          <th title={trans.__('The execution (#) that produced this version')}>{trans.__('By')}</th>
          <th
            title={trans.__(
              'What a checkpoint may do with the variable: the planner decides (auto), or always or never copy it'
            )}
          >
            {trans.__('Mark')}
          </th>
        </tr>
      </thead>
      <tbody>
        {live.map(row)}
        {earlier.length ? (
          <tr className="jp-ElasticNotebook-variablesDivider jp-ElasticNotebook-divider">
            <td
              colSpan={5}
              title={trans.__('Versions a later execution replaced, and deleted variables: no longer in the kernel')}
            >
              {trans.__('Earlier versions')}
            </td>
          </tr>
        ) : null}
        {earlier.map(row)}
      </tbody>
    </table>
  );
}

interface IGroupLabel {
  number: number;
  members: string[];
}

/** Number the linked groups from 1, as the server lists them. */
function groupNumbers(graph: IHistoryGraph): Map<string, IGroupLabel> {
  const groups = new Map<string, IGroupLabel>();
  graph.groups.forEach((members, i) => members.forEach(name => groups.set(name, { number: i + 1, members })));
  return groups;
}

function VariableRow({
  variable,
  group,
  marks,
  trans
}: {
  variable: IGraphVariable;
  group: IGroupLabel | undefined;
  marks: NotebookMarks;
  trans: TranslationBundle;
}): JSX.Element {
  const shared = group ? group.members.filter(name => name !== variable.name) : [];
  return (
    <tr className={`jp-ElasticNotebook-variable${variable.active ? ' jp-mod-active' : ' jp-mod-inactive'}`}>
      <td>{variable.name}</td>
      <td>{variable.version}</td>
      <td title={shared.length ? trans.__('shares objects with %1', shared.join(', ')) : undefined}>
        {variable.active && group ? `${group.number}${shared.length ? ` (+${shared.join(', ')})` : ''}` : '–'}
      </td>
      <td>{variable.producedBy ?? trans.__('before recording')}</td>
      <td>{variable.active ? <VariableMarkSelect marks={marks} name={variable.name} trans={trans} /> : '–'}</td>
    </tr>
  );
}
