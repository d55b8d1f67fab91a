import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';
import { ENGLISH } from '../shared/translation';
import { HistoryModel } from './historyModel';
import { ServerError } from '../shared/ServerError';

/** Whether the shown kernel records, why not, and any error talking to the server. */
export function StatusView({
  model,
  trans = ENGLISH
}: {
  model: HistoryModel;
  trans?: TranslationBundle;
}): JSX.Element {
  return (
    <div className="jp-ElasticNotebook-statusArea">
      <StatusLine model={model} trans={trans} />
      <ServerError message={model.error} />
    </div>
  );
}

function StatusLine({ model, trans }: { model: HistoryModel; trans: TranslationBundle }): JSX.Element {
  const status = model.agentStatus;
  if (!model.notebookPath) {
    return <p className="jp-ElasticNotebook-status">{trans.__('Open a notebook to see its history.')}</p>;
  }
  if (!model.kernel) {
    return <p className="jp-ElasticNotebook-status">{trans.__('This notebook has no kernel.')}</p>;
  }
  if (!status) {
    return <p className="jp-ElasticNotebook-status">{trans.__('Loading the agent into the kernel…')}</p>;
  }
  if (!status.active) {
    return (
      <p className="jp-ElasticNotebook-status jp-mod-off">
        {trans.__('Not recording: %1. Cells run as usual.', status.reason ?? trans.__('the agent is not available'))}
      </p>
    );
  }
  return <p className="jp-ElasticNotebook-status jp-mod-recording">{trans.__('Recording every cell you run.')}</p>;
}
