import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';
import { ENGLISH } from '../shared/translation';
import type { IGraphExecution } from '@elastic-notebook/protocol';
import { HistoryModel } from './historyModel';

/** A list of variable names, or a dash for none. */
export function names(list: string[]): string {
  return list.length ? list.join(', ') : '–';
}

/**
 * The recorded cell executions of the shown kernel, in execution order. The Deletes column is
 * shown only when an execution deleted something, so that the table fits the sidebar.
 */
export function ExecutionsView({
  model,
  trans = ENGLISH
}: {
  model: HistoryModel;
  trans?: TranslationBundle;
}): JSX.Element {
  const graph = model.graph;
  if (!graph || graph.executions.length === 0) {
    return (
      <p className="jp-ElasticNotebook-empty">
        {model.agentStatus?.active ? trans.__('No cells recorded yet in this kernel.') : trans.__('Nothing recorded.')}
      </p>
    );
  }
  const deletes = graph.executions.some(execution => execution.deletes.length > 0);
  return (
    <table className="jp-ElasticNotebook-table jp-ElasticNotebook-executions">
      <thead>
        <tr>
          <th title={trans.__('Execution, in the order cells ran')}>#</th>
          <th title={trans.__('Position of the cell in the notebook')}>{trans.__('Cell')}</th>
          <th title={trans.__('Duration in milliseconds')}>ms</th>
          <th>{trans.__('Reads')}</th>
          <th>{trans.__('Writes')}</th>
          {deletes ? <th>{trans.__('Deletes')}</th> : null}
        </tr>
      </thead>
      <tbody>
        {graph.executions.map(execution => (
          <ExecutionRows key={execution.index} execution={execution} deletes={deletes} />
        ))}
      </tbody>
    </table>
  );
}

function ExecutionRows({ execution, deletes }: { execution: IGraphExecution; deletes: boolean }): JSX.Element {
  const failed = execution.error !== null;
  return (
    <>
      <tr className={`jp-ElasticNotebook-execution${failed ? ' jp-mod-error' : ''}`} title={execution.code}>
        <td>{execution.index}</td>
        <td>{execution.cellIndex ?? '–'}</td>
        <td className="jp-ElasticNotebook-number">{execution.durationMs.toFixed(1)}</td>
        <td>{names(execution.reads)}</td>
        <td>{names(execution.writes)}</td>
        {deletes ? <td>{names(execution.deletes)}</td> : null}
      </tr>
      {failed ? (
        <tr className="jp-ElasticNotebook-errorRow">
          <td colSpan={deletes ? 6 : 5} className="jp-ElasticNotebook-error">
            {execution.error}
          </td>
        </tr>
      ) : null}
    </>
  );
}
