import { refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import React from 'react';
import { describeEntry, ICheckpointActions } from '../checkpointActions';
import { CheckpointEntry, ICheckpointSummary, isReadable, IUnreadableCheckpoint } from '../checkpoints';
import { CheckpointsModel } from '../checkpointsModel';
import { formatBytes } from '../format';
import { JobView } from './JobView';

/**
 * The Checkpoints section: the latest job of the shown kernel, then the checkpoints under the
 * configured root (newest first) with their time, size and copied variables, each restorable into
 * the shown kernel or deletable; unreadable bundles are listed with why.
 */
export function CheckpointsView({ model, actions }: { model: CheckpointsModel; actions: ICheckpointActions }): JSX.Element {
  const job = model.job;
  const busy = job?.state === 'running';
  return (
    <div className="jp-ElasticNotebook-checkpoints">
      <div className="jp-ElasticNotebook-checkpointControls">
        <span className="jp-ElasticNotebook-checkpointRoot" title={model.root ?? undefined}>
          {model.root ? `In ${model.root}` : 'Checkpoints'}
        </span>
        <ToolbarButtonComponent
          className="jp-ElasticNotebook-checkpointsRefresh"
          icon={refreshIcon}
          tooltip="List the checkpoints again"
          onClick={() => void model.refresh()}
        />
        <button
          type="button"
          className="jp-mod-styled jp-ElasticNotebook-restoreFrom"
          disabled={!model.kernel || busy}
          title="Restore a checkpoint from a folder or s3:// URI into this notebook's kernel"
          onClick={() => void actions.restoreFrom()}
        >
          Restore from…
        </button>
      </div>
      {job ? <JobView job={job} onCancel={() => void actions.cancel(job)} /> : null}
      {model.error ? (
        <p className="jp-ElasticNotebook-serverError" role="alert">
          {model.error}
        </p>
      ) : null}
      <CheckpointList model={model} actions={actions} busy={busy} />
    </div>
  );
}

function CheckpointList({
  model,
  actions,
  busy
}: {
  model: CheckpointsModel;
  actions: ICheckpointActions;
  busy: boolean;
}): JSX.Element {
  const entries = model.entries;
  if (!entries) {
    return <p className="jp-ElasticNotebook-empty">{model.loading ? 'Listing the checkpoints…' : ''}</p>;
  }
  if (entries.length === 0) {
    return <p className="jp-ElasticNotebook-empty">No checkpoints yet: use “Checkpoint session” in the notebook toolbar.</p>;
  }
  const canRestore = model.kernel !== null && !busy;
  return (
    <table className="jp-ElasticNotebook-table jp-ElasticNotebook-checkpointList">
      <thead>
        <tr>
          <th>Time</th>
          <th title="Bytes stored: copied variables, history, random states">Size</th>
          <th title="Variables stored by value; the others are recomputed at restore">Copied</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {entries.map(entry =>
          isReadable(entry) ? (
            <CheckpointRow key={entry.uri} entry={entry} actions={actions} canRestore={canRestore} />
          ) : (
            <UnreadableRow key={entry.uri} entry={entry} actions={actions} />
          )
        )}
      </tbody>
    </table>
  );
}

function Actions({ entry, actions, canRestore }: { entry: CheckpointEntry; actions: ICheckpointActions; canRestore: boolean }): JSX.Element {
  return (
    <td className="jp-ElasticNotebook-checkpointActions">
      {isReadable(entry) ? (
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept jp-ElasticNotebook-restore"
          disabled={!canRestore}
          title={`Restore ${describeEntry(entry)} into this notebook's kernel (the kernel restarts)`}
          onClick={() => void actions.restore(entry)}
        >
          Restore
        </button>
      ) : null}
      <button
        type="button"
        className="jp-mod-styled jp-mod-warn jp-ElasticNotebook-delete"
        title={`Delete ${describeEntry(entry)}`}
        onClick={() => void actions.remove(entry)}
      >
        Delete
      </button>
    </td>
  );
}

function CheckpointRow({
  entry,
  actions,
  canRestore
}: {
  entry: ICheckpointSummary;
  actions: ICheckpointActions;
  canRestore: boolean;
}): JSX.Element {
  const details = [entry.notebookPath, entry.objective ? `objective ${entry.objective}` : null, entry.uri].filter(Boolean).join('\n');
  return (
    <tr className="jp-ElasticNotebook-checkpoint" data-uri={entry.uri} data-checkpoint-id={entry.checkpointId} title={details}>
      <td>{new Date(entry.createdAt).toLocaleString()}</td>
      <td className="jp-ElasticNotebook-number">{formatBytes(entry.bytes)}</td>
      <td className="jp-ElasticNotebook-number">{entry.copiedVariables}</td>
      <Actions entry={entry} actions={actions} canRestore={canRestore} />
    </tr>
  );
}

function UnreadableRow({ entry, actions }: { entry: IUnreadableCheckpoint; actions: ICheckpointActions }): JSX.Element {
  return (
    <tr className="jp-ElasticNotebook-checkpoint jp-mod-unreadable" data-uri={entry.uri} title={entry.uri}>
      <td colSpan={3} className="jp-ElasticNotebook-error">
        {entry.error}
      </td>
      <Actions entry={entry} actions={actions} canRestore={false} />
    </tr>
  );
}
