import { HTMLSelect, refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
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
import { PlanModel } from './planModel';

/**
 * The replication plan of the shown kernel: the objective selector and a refresh button, then
 * per linked group whether a checkpoint copies or recomputes it and what each costs, the plan's
 * times next to the copy-all and recompute-all baselines; or, when no plan can restore the
 * session, why and what to do.
 */
export function PlanView({ model }: { model: PlanModel }): JSX.Element {
  const plan = model.plan;
  return (
    <div className="jp-ElasticNotebook-plan">
      <div className="jp-ElasticNotebook-planControls">
        <label>
          Objective{' '}
          <HTMLSelect
            className="jp-ElasticNotebook-objective"
            aria-label="Plan objective"
            title="What the plan minimises: total time, migration time (leave the source fast) or restoration time"
            value={model.objective}
            options={OBJECTIVE_LABELS.map(o => ({ value: o.value, label: o.label }))}
            onChange={event => (model.objective = event.currentTarget.value as Objective)}
          />
        </label>
        <ToolbarButtonComponent
          className="jp-ElasticNotebook-planRefresh"
          icon={refreshIcon}
          tooltip="Plan again"
          onClick={() => void model.refresh()}
        />
        {model.loading ? <span className="jp-ElasticNotebook-planLoading">Planning…</span> : null}
      </div>
      {model.error ? (
        <p className="jp-ElasticNotebook-serverError" role="alert">
          {model.error}
        </p>
      ) : null}
      {!plan ? (
        <p className="jp-ElasticNotebook-empty">Run cells to get a checkpoint plan.</p>
      ) : plan.feasible ? (
        <FeasiblePlan plan={plan} />
      ) : (
        <InfeasiblePlan plan={plan} />
      )}
    </div>
  );
}

function FeasiblePlan({ plan }: { plan: IFeasiblePlan }): JSX.Element {
  const copied = plan.groups.filter(g => g.decision === 'copy');
  const bytes = copied.reduce((sum, g) => sum + g.sizeBytes, 0);
  return (
    <>
      <p className="jp-ElasticNotebook-planSummary">
        Copy {plan.copy.length} variable{plan.copy.length === 1 ? '' : 's'} ({formatBytes(bytes)}), re-run{' '}
        {plan.rerun.length} execution{plan.rerun.length === 1 ? '' : 's'}
        {plan.rerun.length ? ` (${plan.rerun.join(', ')})` : ''}.
      </p>
      {plan.groups.length ? (
        <table className="jp-ElasticNotebook-table jp-ElasticNotebook-planGroups">
          <thead>
            <tr>
              <th title="Linked variables are copied or recomputed together, as the plan says">Variables</th>
              <th title="Serialized size">Size</th>
              <th title="Time to copy: serialize, transfer, deserialize">Copy</th>
              <th title="Time to re-run what recomputing it alone needs">Recompute</th>
            </tr>
          </thead>
          <tbody>
            {plan.groups.map(group => (
              <GroupRow key={group.members.join(',')} group={group} />
            ))}
          </tbody>
        </table>
      ) : null}
      <table className="jp-ElasticNotebook-table jp-ElasticNotebook-planTotals">
        <thead>
          <tr>
            <th />
            <th title="Time on the source: serialize and transfer out">Migrate</th>
            <th title="Time on the target: load and re-run">Restore</th>
            <th>Total</th>
          </tr>
        </thead>
        <tbody>
          <TotalsRow name="This plan" className="jp-mod-plan" baseline={{ feasible: true, ...plan.estimate }} />
          <TotalsRow name="Copy all" className="jp-mod-copyAll" baseline={plan.baselines.copyAll} />
          <TotalsRow name="Recompute all" className="jp-mod-recomputeAll" baseline={plan.baselines.recomputeAll} />
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

function GroupRow({ group }: { group: IGroupExplanation }): JSX.Element {
  const recompute = group.decision === 'recompute';
  const decision = `jp-ElasticNotebook-planGroup ${recompute ? 'jp-mod-recompute' : 'jp-mod-copy'}`;
  // The reason gets a row of its own, across the table: a narrow sidebar has no room beside it.
  return (
    <>
      <tr className={decision} data-members={group.members.join(',')} title={group.reason}>
        <td>
          {group.members.join(', ')}{' '}
          <span className="jp-ElasticNotebook-decision">{recompute ? 'recompute' : 'copy'}</span>
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
  baseline
}: {
  name: string;
  className: string;
  baseline: IBaseline;
}): JSX.Element {
  if (!baseline.feasible) {
    return (
      <tr className={`jp-ElasticNotebook-planTotal ${className} jp-mod-impossible`}>
        <th>{name}</th>
        <td colSpan={3}>impossible: {baseline.reason}</td>
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

function InfeasiblePlan({ plan }: { plan: IInfeasiblePlan }): JSX.Element {
  const report = plan.infeasibility;
  return (
    <div className="jp-ElasticNotebook-infeasible" role="alert">
      <p className="jp-ElasticNotebook-infeasibleMessage">{report.message}</p>
      <p>What you can do:</p>
      <ul className="jp-ElasticNotebook-suggestions">
        {report.suggestions.map(suggestion => (
          <li key={suggestion}>{suggestion}</li>
        ))}
      </ul>
    </div>
  );
}
