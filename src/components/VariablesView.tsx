import React from 'react';
import { IHistoryGraph, IVariable } from '../graph';
import { NotebookMarks } from '../marksModel';
import { HistoryModel } from '../model';
import { VariableMarkSelect } from './VariableMarkSelect';

/**
 * The variable snapshots of the shown kernel: active ones first, then older versions. Each active
 * variable has its checkpoint mark (auto, always copy, never copy).
 */
export function VariablesView({ model, marks }: { model: HistoryModel; marks: NotebookMarks }): JSX.Element {
  const graph = model.graph;
  if (!graph || graph.variables.length === 0) {
    return <p className="jp-ElasticNotebook-empty">No variables recorded yet.</p>;
  }
  const groupOf = groupNumbers(graph);
  const rows = [...graph.variables].sort(
    (a, b) => Number(b.active) - Number(a.active) || a.name.localeCompare(b.name) || b.version - a.version
  );
  return (
    <table className="jp-ElasticNotebook-table jp-ElasticNotebook-variables">
      <thead>
        <tr>
          <th>Name</th>
          <th title="Version: how many times an execution wrote it before">Ver.</th>
          <th title="Whether this is the live value">Active</th>
          <th title="Variables sharing objects form one group, copied or recomputed together">Group</th>
          <th title="The execution that produced this version">Made by</th>
          <th title="What a checkpoint may do with the variable: the planner decides (auto), or always or never copy it">
            Mark
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map(variable => (
          <VariableRow
            key={`${variable.name}@${variable.version}`}
            variable={variable}
            group={groupOf.get(variable.name)}
            marks={marks}
          />
        ))}
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
  variable: IVariable;
  group: IGroupLabel | undefined;
  marks: NotebookMarks;
}): JSX.Element {
  const shared = group ? group.members.filter(name => name !== variable.name) : [];
  return (
    <tr className={`jp-ElasticNotebook-variable${variable.active ? ' jp-mod-active' : ' jp-mod-inactive'}`}>
      <td>{variable.name}</td>
      <td>{variable.version}</td>
      <td>{variable.active ? 'yes' : 'no'}</td>
      <td title={shared.length ? `shares objects with ${shared.join(', ')}` : undefined}>
        {variable.active && group ? `${group.number}${shared.length ? ` (+${shared.join(', ')})` : ''}` : '–'}
      </td>
      <td>{variable.producedBy ?? 'before recording'}</td>
      <td>{variable.active ? <VariableMarkSelect marks={marks} name={variable.name} /> : '–'}</td>
    </tr>
  );
}
