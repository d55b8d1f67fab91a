import React from 'react';
import type { IGraphVariable, IHistoryGraph } from '@elastic-notebook/protocol';
import { NotebookMarks } from '../marks/marksModel';
import { HistoryModel } from './historyModel';
import { VariableMarkSelect } from '../marks/VariableMarkSelect';

/**
 * The variable snapshots of the shown kernel: the live ones, then (under "Earlier versions") the
 * versions they replaced and deleted variables. Each live variable has its checkpoint mark (auto,
 * always copy, never copy). Five narrow columns, so that the table fits the sidebar.
 */
export function VariablesView({ model, marks }: { model: HistoryModel; marks: NotebookMarks }): JSX.Element {
  const graph = model.graph;
  if (!graph || graph.variables.length === 0) {
    return <p className="jp-ElasticNotebook-empty">No variables recorded yet.</p>;
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
    />
  );
  return (
    <table className="jp-ElasticNotebook-table jp-ElasticNotebook-variables">
      <thead>
        <tr>
          <th>Name</th>
          <th title="Version: how many times an execution wrote it before">Ver.</th>
          <th title="Variables sharing objects form one group, copied or recomputed together">Group</th>
          <th title="The execution (#) that produced this version">By</th>
          <th title="What a checkpoint may do with the variable: the planner decides (auto), or always or never copy it">
            Mark
          </th>
        </tr>
      </thead>
      <tbody>
        {live.map(row)}
        {earlier.length ? (
          <tr className="jp-ElasticNotebook-variablesDivider jp-ElasticNotebook-divider">
            <td colSpan={5} title="Versions a later execution replaced, and deleted variables: no longer in the kernel">
              Earlier versions
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
  marks
}: {
  variable: IGraphVariable;
  group: IGroupLabel | undefined;
  marks: NotebookMarks;
}): JSX.Element {
  const shared = group ? group.members.filter(name => name !== variable.name) : [];
  return (
    <tr className={`jp-ElasticNotebook-variable${variable.active ? ' jp-mod-active' : ' jp-mod-inactive'}`}>
      <td>{variable.name}</td>
      <td>{variable.version}</td>
      <td title={shared.length ? `shares objects with ${shared.join(', ')}` : undefined}>
        {variable.active && group ? `${group.number}${shared.length ? ` (+${shared.join(', ')})` : ''}` : '–'}
      </td>
      <td>{variable.producedBy ?? 'before recording'}</td>
      <td>{variable.active ? <VariableMarkSelect marks={marks} name={variable.name} /> : '–'}</td>
    </tr>
  );
}
