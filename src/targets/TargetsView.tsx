import { refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import type { TranslationBundle } from '@jupyterlab/translation';
import { formatBytes, type Target } from '@elastic-notebook/protocol';
import React, { useState } from 'react';
import { ENGLISH } from '../shared/translation';
import { TargetsModel } from './targetsModel';
import { ServerError } from '../shared/ServerError';
import { JobView } from '../checkpoints/JobView';
import type { IMigrationActions } from './migrationActions';

/**
 * The Targets section: one row per target (a radio picks the target of the next migration) with
 * whether it is reachable (and why not), its Elastic Notebook and Python versions, CPUs, memory,
 * GPUs, free disk, CPU speed relative to this machine, bandwidth from here, and the session's
 * modules it lacks or has in another version; then, with `migration`, the Migrate button (and
 * whether to stop this kernel once the migrated session is verified) and the
 * shown kernel's migration (its progress, Cancel, and the link to the notebook on its target);
 * last a form to add a Jupyter server.
 */
export function TargetsView({
  model,
  migration = null,
  trans = ENGLISH
}: {
  model: TargetsModel;
  migration?: IMigrationActions | null;
  trans?: TranslationBundle;
}): JSX.Element {
  return (
    <div className="jp-ElasticNotebook-targets">
      <div className="jp-ElasticNotebook-targetControls">
        <span>{model.loading ? trans.__('Probing the targets…') : trans.__('Move this session to')}</span>
        <ToolbarButtonComponent
          className="jp-ElasticNotebook-targetsRefresh"
          icon={refreshIcon}
          tooltip={trans.__('Probe the targets again')}
          onClick={() => void model.refresh()}
        />
      </div>
      <ServerError message={model.error} />
      <ul className="jp-ElasticNotebook-targetList" role="radiogroup" aria-label={trans.__('Targets')}>
        {model.targets.map(target => (
          <TargetRow key={target.name} target={target} model={model} trans={trans} />
        ))}
      </ul>
      {migration ? <MigrateControls model={model} migration={migration} trans={trans} /> : null}
      <AddTargetForm model={model} trans={trans} />
    </div>
  );
}

function MigrateControls({
  model,
  migration,
  trans
}: {
  model: TargetsModel;
  migration: IMigrationActions;
  trans: TranslationBundle;
}): JSX.Element {
  const blocker = migration.blocker();
  const job = migration.job();
  const [stopSource, setStopSource] = useState(false);
  return (
    <div className="jp-ElasticNotebook-migrate">
      <label className="jp-ElasticNotebook-stopSource">
        <input type="checkbox" checked={stopSource} onChange={event => setStopSource(event.target.checked)} />
        {trans.__('Stop this kernel once the migrated session is verified')}
      </label>
      <button
        type="button"
        className="jp-mod-styled jp-mod-accept jp-ElasticNotebook-migrateButton"
        disabled={blocker !== null}
        title={
          blocker === null
            ? stopSource
              ? trans.__('Checkpoint this session and restore it on %1; then this kernel stops', model.selected ?? '')
              : trans.__(
                  'Checkpoint this session and restore it on %1; this kernel keeps running',
                  model.selected ?? ''
                )
            : blocker
        }
        onClick={() => void migration.migrate({ stopSource })}
      >
        {model.selected ? trans.__('Migrate to %1', model.selected) : trans.__('Migrate')}
      </button>
      {job ? <JobView job={job} onCancel={() => void migration.cancel(job)} trans={trans} /> : null}
    </div>
  );
}

function TargetRow({
  target,
  model,
  trans
}: {
  target: Target;
  model: TargetsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const id = `jp-ElasticNotebook-target-${encodeURIComponent(target.name)}`;
  const state = target.reachable ? 'reachable' : 'unreachable';
  return (
    <li className={`jp-ElasticNotebook-target jp-mod-${state}`} data-target={target.name}>
      <div className="jp-ElasticNotebook-targetHead">
        <input
          type="radio"
          id={id}
          name="jp-ElasticNotebook-target"
          checked={model.selected === target.name}
          disabled={!!target.configError}
          onChange={() => (model.selected = target.name)}
        />
        <span
          className={`jp-ElasticNotebook-targetDot jp-mod-${state}`}
          role="img"
          aria-label={target.reachable ? trans.__('reachable') : trans.__('unreachable')}
        />
        <label htmlFor={id} className="jp-ElasticNotebook-targetName" title={target.url || undefined}>
          {target.name}
        </label>
        {target.removable ? (
          <button
            type="button"
            className="jp-mod-styled jp-ElasticNotebook-targetRemove"
            title={trans.__('Remove this target')}
            onClick={() => void model.remove(target.name)}
          >
            {trans.__('Remove')}
          </button>
        ) : null}
      </div>
      {target.reachable ? (
        <TargetFacts target={target} trans={trans} />
      ) : (
        <p className="jp-ElasticNotebook-targetReason">{target.reason ?? trans.__('unreachable')}</p>
      )}
    </li>
  );
}

function TargetFacts({ target, trans }: { target: Target; trans: TranslationBundle }): JSX.Element | null {
  const machine = target.machine;
  if (!machine) {
    return null;
  }
  const facts = [
    target.versionMatch === false
      ? trans.__('Elastic Notebook %1 (differs from here)', machine.version)
      : trans.__('Elastic Notebook %1', machine.version),
    machine.python ? trans.__('Python %1', machine.python.version) : trans.__('Python unknown'),
    trans.__('%1 CPUs', machine.cpus),
    trans.__('memory %1 free of %2', formatBytes(machine.memory.freeBytes), formatBytes(machine.memory.totalBytes)),
    machine.gpus.length ? trans.__('GPU %1', machine.gpus.map(g => g.name).join(', ')) : trans.__('no GPU'),
    machine.disk.freeBytes === null
      ? trans.__('disk unknown')
      : trans.__('disk %1 free', formatBytes(machine.disk.freeBytes)),
    target.relativeCpuSpeed === null ? null : trans.__('CPU speed ×%1', target.relativeCpuSpeed.toFixed(2)),
    target.bandwidthBytesPerSec === null
      ? null
      : target.bandwidthSource === 'measured'
        ? trans.__('%1/s from here (measured)', formatBytes(target.bandwidthBytesPerSec))
        : trans.__('%1/s from here (probe)', formatBytes(target.bandwidthBytesPerSec))
  ].filter((fact): fact is string => fact !== null);
  return (
    <div className="jp-ElasticNotebook-targetFacts">
      <p>{facts.join(' · ')}</p>
      {target.moduleMismatches.length ? (
        <ul className="jp-ElasticNotebook-moduleMismatches" aria-label={trans.__('Modules that differ')}>
          {target.moduleMismatches.map(m => (
            <li key={m.module} className="jp-ElasticNotebook-moduleMismatch">
              {m.there === null
                ? trans.__('%1 %2 here, missing there', m.module, m.here ?? '')
                : trans.__('%1 %2 here, %3 there', m.module, m.here ?? trans.__('missing'), m.there)}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function AddTargetForm({ model, trans }: { model: TargetsModel; trans: TranslationBundle }): JSX.Element {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const added = await model.add({ name: name.trim(), url: url.trim(), token });
    setBusy(false);
    if (added) {
      setName('');
      setUrl('');
      setToken('');
    }
  };
  return (
    <details className="jp-ElasticNotebook-addTarget">
      <summary>{trans.__('Add Jupyter server')}</summary>
      <form onSubmit={event => void submit(event)}>
        <Field label={trans.__('Name')} value={name} onChange={setName} />
        <Field label={trans.__('URL')} value={url} onChange={setUrl} type="url" placeholder="https://host:8888/" />
        {/* A password field: the token is not shown, and browsers do not offer to store it here. */}
        <Field label={trans.__('Token')} value={token} onChange={setToken} type="password" />
        <ServerError message={model.editError} />
        <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={busy}>
          {busy ? trans.__('Checking…') : trans.__('Add')}
        </button>
      </form>
    </details>
  );
}

/** One required text field of the form, labelled. */
function Field({
  label,
  value,
  onChange,
  type = 'text',
  placeholder
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'url' | 'password';
  placeholder?: string;
}): JSX.Element {
  return (
    <label>
      {label}
      <input
        className="jp-mod-styled"
        type={type}
        placeholder={placeholder}
        autoComplete="off"
        value={value}
        onChange={e => onChange(e.target.value)}
        required
      />
    </label>
  );
}
