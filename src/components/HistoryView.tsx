import React from 'react';
import { IExecution, IHistoryGraph, IVariable } from '../model';
import { IAgentStatus } from '../tokens';

/** Props of {@link HistoryView}. */
export interface IHistoryViewProps {
  notebookPath: string | null;
  status: IAgentStatus | undefined;
  graph: IHistoryGraph | null;
  error: string | null;
}

const names = (list: string[]) => (list.length ? list.join(', ') : '–');

function StatusLine({ notebookPath, status }: Pick<IHistoryViewProps, 'notebookPath' | 'status'>) {
  if (!notebookPath) {
    return <p className="jp-ElasticNotebook-status">Open a notebook to see its history.</p>;
  }
  if (!status) {
    return <p className="jp-ElasticNotebook-status">Connecting to the kernel…</p>;
  }
  return status.active ? (
    <p className="jp-ElasticNotebook-status jp-mod-recording">Recording every cell you run.</p>
  ) : (
    <p className="jp-ElasticNotebook-status jp-mod-off">Not recording: {status.reason}</p>
  );
}

function ExecutionRow({ execution }: { execution: IExecution }) {
  return (
    <tr className={execution.error ? 'jp-ElasticNotebook-execution jp-mod-error' : 'jp-ElasticNotebook-execution'}>
      <td>{execution.index}</td>
      <td>{execution.cellIndex ?? '–'}</td>
      <td className="jp-ElasticNotebook-number">{execution.durationMs.toFixed(1)}</td>
      <td>{names(execution.reads)}</td>
      <td>{names(execution.writes)}</td>
      <td>
        {names(execution.deletes)}
        {execution.error ? <div className="jp-ElasticNotebook-error">{execution.error}</div> : null}
      </td>
    </tr>
  );
}

function VariableRow({ variable, group }: { variable: IVariable; group: string[] }) {
  const shared = group.filter(n => n !== variable.name);
  return (
    <tr className="jp-ElasticNotebook-variable">
      <td>{variable.name}</td>
      <td>{variable.version}</td>
      <td>{variable.producedBy ?? 'outside history'}</td>
      <td>{shared.length ? `shares with ${shared.join(', ')}` : '–'}</td>
    </tr>
  );
}

/** The recorded history of one notebook's kernel: executions and active variables. */
export function HistoryView(props: IHistoryViewProps): JSX.Element {
  const { graph, error } = props;
  const groupOf = new Map<string, string[]>();
  graph?.groups.forEach(group => group.forEach(name => groupOf.set(name, group)));
  const active = graph?.variables.filter(v => v.active) ?? [];
  return (
    <div className="jp-ElasticNotebook-history">
      <StatusLine notebookPath={props.notebookPath} status={props.status} />
      {error ? <p className="jp-ElasticNotebook-serverError">Server error: {error}</p> : null}
      {props.notebookPath && props.status?.active && !graph && !error ? (
        <p className="jp-ElasticNotebook-empty">No cells recorded yet in this kernel.</p>
      ) : null}
      {graph ? (
        <>
          <h3>Executions ({graph.executions.length})</h3>
          <table className="jp-ElasticNotebook-executions">
            <thead>
              <tr>
                <th>#</th>
                <th>Cell</th>
                <th>ms</th>
                <th>Reads</th>
                <th>Writes</th>
                <th>Deletes</th>
              </tr>
            </thead>
            <tbody>
              {graph.executions.map(e => (
                <ExecutionRow key={e.index} execution={e} />
              ))}
            </tbody>
          </table>
          <h3>Variables ({active.length})</h3>
          <table className="jp-ElasticNotebook-variables">
            <thead>
              <tr>
                <th>Name</th>
                <th>Version</th>
                <th>Made by</th>
                <th>Linked</th>
              </tr>
            </thead>
            <tbody>
              {active.map(v => (
                <VariableRow key={v.name} variable={v} group={groupOf.get(v.name) ?? [v.name]} />
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}
