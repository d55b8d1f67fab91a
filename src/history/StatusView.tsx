import React from 'react';
import { HistoryModel } from './historyModel';

/** Whether the shown kernel records, why not, and any error talking to the server. */
export function StatusView({ model }: { model: HistoryModel }): JSX.Element {
  return (
    <div className="jp-ElasticNotebook-statusArea">
      <StatusLine model={model} />
      {model.error ? (
        <p className="jp-ElasticNotebook-serverError" role="alert">
          {model.error}
        </p>
      ) : null}
    </div>
  );
}

function StatusLine({ model }: { model: HistoryModel }): JSX.Element {
  const status = model.agentStatus;
  if (!model.notebookPath) {
    return <p className="jp-ElasticNotebook-status">Open a notebook to see its history.</p>;
  }
  if (!model.kernel) {
    return <p className="jp-ElasticNotebook-status">This notebook has no kernel.</p>;
  }
  if (!status) {
    return <p className="jp-ElasticNotebook-status">Loading the agent into the kernel…</p>;
  }
  if (!status.active) {
    return (
      <p className="jp-ElasticNotebook-status jp-mod-off">
        Not recording: {status.reason ?? 'the agent is not available'}. Cells run as usual.
      </p>
    );
  }
  return <p className="jp-ElasticNotebook-status jp-mod-recording">Recording every cell you run.</p>;
}
