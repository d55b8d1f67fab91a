import { PathExt } from '@jupyterlab/coreutils';
import { refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';
import { ENGLISH } from '../shared/translation';
import { describeEntry, formatTime, ICheckpointActions } from './checkpointActions';
import type { CheckpointEntry, ICheckpointSummary, IUnreadableCheckpoint } from '@elastic-notebook/protocol';
import { isReadable } from './checkpoints';
import { CheckpointsModel } from './checkpointsModel';
import { formatBytes } from '@elastic-notebook/protocol';
import { JobView } from './JobView';
import { ServerError } from '../shared/ServerError';

/**
 * The Checkpoints section: the latest job of the shown kernel, then the checkpoints under the
 * configured root (newest first) with their notebook, time, size and copied variables, each
 * restorable into the shown kernel or deletable. This notebook's come first; the other notebooks'
 * are listed after them on request. Unreadable bundles are listed with why.
 */
export function CheckpointsView({
  model,
  actions,
  trans = ENGLISH
}: {
  model: CheckpointsModel;
  actions: ICheckpointActions;
  trans?: TranslationBundle;
}): JSX.Element {
  // A migration's progress shows in the Targets section; it still keeps these buttons busy.
  const busy = model.job?.state === 'running';
  const job = model.job?.kind === 'migrate' ? null : model.job;
  return (
    <div className="jp-ElasticNotebook-checkpoints">
      <div className="jp-ElasticNotebook-checkpointControls">
        <span className="jp-ElasticNotebook-checkpointRoot" title={model.root ?? undefined}>
          {model.root ? trans.__('In %1', model.root) : trans.__('Checkpoints')}
        </span>
        <ToolbarButtonComponent
          className="jp-ElasticNotebook-checkpointsRefresh"
          icon={refreshIcon}
          tooltip={trans.__('List the checkpoints again')}
          onClick={() => void model.refresh()}
        />
        <button
          type="button"
          className="jp-mod-styled jp-ElasticNotebook-restoreFrom"
          disabled={!model.kernel || busy}
          title={trans.__("Restore a checkpoint from a folder or s3:// URI into this notebook's kernel")}
          onClick={() => void actions.restoreFrom()}
        >
          {trans.__('Restore from…')}
        </button>
      </div>
      {job ? <JobView job={job} onCancel={() => void actions.cancel(job)} trans={trans} /> : null}
      <ServerError message={model.error} />
      <CheckpointList model={model} actions={actions} busy={busy} trans={trans} />
    </div>
  );
}

function CheckpointList({
  model,
  actions,
  busy,
  trans
}: {
  model: CheckpointsModel;
  actions: ICheckpointActions;
  busy: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const split = model.split;
  if (!split) {
    return <p className="jp-ElasticNotebook-empty">{model.loading ? trans.__('Listing the checkpoints…') : ''}</p>;
  }
  const { own, others, unreadable } = split;
  if (own.length + others.length + unreadable.length === 0) {
    return (
      <p className="jp-ElasticNotebook-empty">
        {trans.__('No checkpoints yet: use “Checkpoint session” in the notebook toolbar.')}
      </p>
    );
  }
  const canRestore = model.kernel !== null && !busy;
  const shownOthers = model.showOthers ? others : [];
  const row = (entry: CheckpointEntry) =>
    isReadable(entry) ? (
      <CheckpointRow
        key={entry.uri}
        entry={entry}
        notebook={model.locationOf(entry.notebookPath)}
        own={own.includes(entry)}
        actions={actions}
        canRestore={canRestore}
        trans={trans}
      />
    ) : (
      <UnreadableRow key={entry.uri} entry={entry} actions={actions} trans={trans} />
    );
  return (
    <>
      {own.length === 0 ? (
        <p className="jp-ElasticNotebook-empty">
          {trans.__('No checkpoints of this notebook yet: use “Checkpoint session” in the notebook toolbar.')}
        </p>
      ) : null}
      {own.length + shownOthers.length + unreadable.length > 0 ? (
        <table className="jp-ElasticNotebook-table jp-ElasticNotebook-checkpointList">
          <thead>
            <tr>
              <th title={trans.__('The notebook it was made from, and when')}>{trans.__('Checkpoint')}</th>
              <th title={trans.__('Bytes stored: copied variables, history, random states')}>{trans.__('Size')}</th>
              <th title={trans.__('Variables stored by value; the others are recomputed at restore')}>
                {trans.__('Copied')}
              </th>
            </tr>
          </thead>
          <tbody>
            {own.map(row)}
            {shownOthers.length ? (
              <tr className="jp-ElasticNotebook-checkpointsDivider jp-ElasticNotebook-divider">
                <td colSpan={3}>{trans.__('Other notebooks')}</td>
              </tr>
            ) : null}
            {shownOthers.map(row)}
            {unreadable.map(row)}
          </tbody>
        </table>
      ) : null}
      {others.length ? (
        <label className="jp-ElasticNotebook-othersToggle">
          <input
            type="checkbox"
            checked={model.showOthers}
            onChange={event => (model.showOthers = event.currentTarget.checked)}
          />
          {trans.__('Show checkpoints of other notebooks (%1)', others.length)}
        </label>
      ) : null}
    </>
  );
}

function Actions({
  entry,
  actions,
  canRestore,
  trans
}: {
  entry: CheckpointEntry;
  actions: ICheckpointActions;
  canRestore: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <div className="jp-ElasticNotebook-checkpointActions">
      {isReadable(entry) ? (
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept jp-ElasticNotebook-restore"
          disabled={!canRestore}
          title={trans.__("Restore %1 into this notebook's kernel (the kernel restarts)", describeEntry(entry))}
          onClick={() => void actions.restore(entry)}
        >
          {trans.__('Restore')}
        </button>
      ) : null}
      <button
        type="button"
        className="jp-mod-styled jp-mod-warn jp-ElasticNotebook-delete"
        title={trans.__('Delete %1', describeEntry(entry))}
        onClick={() => void actions.remove(entry)}
      >
        {trans.__('Delete')}
      </button>
    </div>
  );
}

function CheckpointRow({
  entry,
  notebook,
  own,
  actions,
  canRestore,
  trans
}: {
  entry: ICheckpointSummary;
  /** Where its notebook is (relative to the Jupyter root when under it). */
  notebook: string | null;
  /** Whether it is a checkpoint of the notebook shown. */
  own: boolean;
  actions: ICheckpointActions;
  canRestore: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const details = [entry.notebookPath, entry.objective ? trans.__('objective %1', entry.objective) : null, entry.uri]
    .filter(Boolean)
    .join('\n');
  return (
    <tr
      className={`jp-ElasticNotebook-checkpoint ${own ? 'jp-mod-own' : 'jp-mod-other'}`}
      data-uri={entry.uri}
      data-checkpoint-id={entry.checkpointId}
      data-notebook={notebook ?? ''}
      title={details}
    >
      <td>
        <div className="jp-ElasticNotebook-checkpointNotebook">
          {notebook ? PathExt.basename(notebook) : trans.__('unknown notebook')}
        </div>
        <div className="jp-ElasticNotebook-checkpointTime">{formatTime(entry.createdAt)}</div>
        <Actions entry={entry} actions={actions} canRestore={canRestore} trans={trans} />
      </td>
      <td className="jp-ElasticNotebook-number">{formatBytes(entry.bytes)}</td>
      <td className="jp-ElasticNotebook-number">{entry.copiedVariables}</td>
    </tr>
  );
}

function UnreadableRow({
  entry,
  actions,
  trans
}: {
  entry: IUnreadableCheckpoint;
  actions: ICheckpointActions;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <tr className="jp-ElasticNotebook-checkpoint jp-mod-unreadable" data-uri={entry.uri} title={entry.uri}>
      <td colSpan={3}>
        <div className="jp-ElasticNotebook-error">{entry.error}</div>
        <Actions entry={entry} actions={actions} canRestore={false} trans={trans} />
      </td>
    </tr>
  );
}
