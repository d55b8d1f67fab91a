import { HTMLSelect, refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';
import { formatBytes, formatMs, OBJECTIVE_LABELS } from '@elastic-notebook/protocol';
import type {
  IBaseline,
  IFeasiblePlan,
  IGroupExplanation,
  IInfeasiblePlan,
  Objective
} from '@elastic-notebook/protocol';
import { pricedWith } from './planFootnote';
import { ENGLISH } from '../shared/translation';
import { PlanModel } from './planModel';
import { ServerError } from '../shared/ServerError';

/**
 * The replication plan of the shown kernel: the objective selector and a refresh button, then
 * per linked group whether a checkpoint copies or recomputes it and what each costs, the plan's
 * times next to the copy-all and recompute-all baselines; or, when no plan can restore the
 * session, why and what to do.
 */
export function PlanView({ model, trans = ENGLISH }: { model: PlanModel; trans?: TranslationBundle }): JSX.Element {
  const plan = model.plan;
  return (
    <div className="jp-ElasticNotebook-plan">
      <div className="jp-ElasticNotebook-planControls">
        <label>
          {trans.__('Objective')}{' '}
          <HTMLSelect
            className="jp-ElasticNotebook-objective"
            aria-label={trans.__('Plan objective')}
            title={trans.__(
              'What the plan minimises: total time, migration time (leave the source fast) or restoration time'
            )}
            value={model.objective}
            options={OBJECTIVE_LABELS.map(o => ({ value: o.value, label: trans.__(o.label) }))}
            onChange={event => (model.objective = event.currentTarget.value as Objective)}
          />
        </label>
        <ToolbarButtonComponent
          className="jp-ElasticNotebook-planRefresh"
          icon={refreshIcon}
          tooltip={trans.__('Plan again')}
          onClick={() => void model.refresh()}
        />
        {model.loading ? <span className="jp-ElasticNotebook-planLoading">{trans.__('Planning…')}</span> : null}
      </div>
      <ServerError message={model.error} />
      {!plan ? (
        <p className="jp-ElasticNotebook-empty">{trans.__('Run cells to get a checkpoint plan.')}</p>
      ) : plan.feasible ? (
        <FeasiblePlan plan={plan} trans={trans} />
      ) : (
        <InfeasiblePlan plan={plan} trans={trans} />
      )}
    </div>
  );
}

function FeasiblePlan({ plan, trans }: { plan: IFeasiblePlan; trans: TranslationBundle }): JSX.Element {
  const copied = plan.groups.filter(g => g.decision === 'copy');
  const bytes = copied.reduce((sum, g) => sum + g.sizeBytes, 0);
  return (
    <>
      <p className="jp-ElasticNotebook-planSummary">
        {trans._n('Copy %1 variable (%2)', 'Copy %1 variables (%2)', plan.copy.length, formatBytes(bytes))}
        {', '}
        {trans._n('re-run %1 execution', 're-run %1 executions', plan.rerun.length)}
        {plan.rerun.length ? ` (${plan.rerun.join(', ')})` : ''}.
      </p>
      {plan.groups.length ? (
        <table className="jp-ElasticNotebook-table jp-ElasticNotebook-planGroups">
          <thead>
            <tr>
              <th title={trans.__('Linked variables are copied or recomputed together, as the plan says')}>
                {trans.__('Variables')}
              </th>
              <th title={trans.__('Serialized size')}>{trans.__('Size')}</th>
              <th title={trans.__('Time to copy: serialize, transfer, deserialize')}>{trans.__('Copy')}</th>
              <th title={trans.__('Time to re-run what recomputing it alone needs')}>{trans.__('Recompute')}</th>
            </tr>
          </thead>
          <tbody>
            {plan.groups.map(group => (
              <GroupRow key={group.members.join(',')} group={group} trans={trans} />
            ))}
          </tbody>
        </table>
      ) : null}
      <table className="jp-ElasticNotebook-table jp-ElasticNotebook-planTotals">
        <thead>
          <tr>
            <th />
            <th title={trans.__('Time on the source: serialize and transfer out')}>{trans.__('Migrate')}</th>
            <th title={trans.__('Time on the target: load and re-run')}>{trans.__('Restore')}</th>
            <th>{trans.__('Total')}</th>
          </tr>
        </thead>
        <tbody>
          <TotalsRow
            name={trans.__('This plan')}
            className="jp-mod-plan"
            baseline={{ feasible: true, ...plan.estimate }}
            trans={trans}
          />
          <TotalsRow
            name={trans.__('Copy all')}
            className="jp-mod-copyAll"
            baseline={plan.baselines.copyAll}
            trans={trans}
          />
          <TotalsRow
            name={trans.__('Recompute all')}
            className="jp-mod-recomputeAll"
            baseline={plan.baselines.recomputeAll}
            trans={trans}
          />
        </tbody>
      </table>
      {plan.notes.map(note => (
        <p key={note} className="jp-ElasticNotebook-planNote">
          {note}
        </p>
      ))}
      <p className="jp-ElasticNotebook-planNote jp-ElasticNotebook-planPricing">{pricedWith(plan.costModel)}</p>
    </>
  );
}

function GroupRow({ group, trans }: { group: IGroupExplanation; trans: TranslationBundle }): JSX.Element {
  const recompute = group.decision === 'recompute';
  const decision = `jp-ElasticNotebook-planGroup ${recompute ? 'jp-mod-recompute' : 'jp-mod-copy'}`;
  // The reason gets a row of its own, across the table: a narrow sidebar has no room beside it.
  return (
    <>
      <tr className={decision} data-members={group.members.join(',')} title={group.reason}>
        <td>
          {group.members.join(', ')}{' '}
          <span className="jp-ElasticNotebook-decision">{recompute ? trans.__('recompute') : trans.__('copy')}</span>
        </td>
        <td className="jp-ElasticNotebook-number">{formatBytes(group.sizeBytes)}</td>
        <td className="jp-ElasticNotebook-number">{group.copyCostMs === null ? '–' : formatMs(group.copyCostMs)}</td>
        <td className="jp-ElasticNotebook-number">
          {group.recomputeCostMs === null ? '–' : formatMs(group.recomputeCostMs)}
        </td>
      </tr>
      <tr className="jp-ElasticNotebook-planReasonRow" data-members={group.members.join(',')}>
        <td colSpan={4} className="jp-ElasticNotebook-planReason">
          {group.reason}
        </td>
      </tr>
    </>
  );
}

function TotalsRow({
  name,
  className,
  baseline,
  trans
}: {
  name: string;
  className: string;
  baseline: IBaseline;
  trans: TranslationBundle;
}): JSX.Element {
  if (!baseline.feasible) {
    return (
      <tr className={`jp-ElasticNotebook-planTotal ${className} jp-mod-impossible`}>
        <th>{name}</th>
        <td colSpan={3}>{trans.__('impossible: %1', baseline.reason)}</td>
      </tr>
    );
  }
  return (
    <tr className={`jp-ElasticNotebook-planTotal ${className}`}>
      <th>{name}</th>
      <td className="jp-ElasticNotebook-number">{formatMs(baseline.migrateMs)}</td>
      <td className="jp-ElasticNotebook-number">{formatMs(baseline.restoreMs)}</td>
      <td className="jp-ElasticNotebook-number">{formatMs(baseline.totalMs)}</td>
    </tr>
  );
}

function InfeasiblePlan({ plan, trans }: { plan: IInfeasiblePlan; trans: TranslationBundle }): JSX.Element {
  const report = plan.infeasibility;
  return (
    <div className="jp-ElasticNotebook-infeasible" role="alert">
      <p className="jp-ElasticNotebook-infeasibleMessage">{report.message}</p>
      <p>{trans.__('What you can do:')}</p>
      <ul className="jp-ElasticNotebook-suggestions">
        {report.suggestions.map(suggestion => (
          <li key={suggestion}>{suggestion}</li>
        ))}
      </ul>
    </div>
  );
}
