import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { refreshIcon, SidePanel, ToolbarButton } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import React from 'react';
import { ICheckpointActions } from '../checkpoints/checkpointActions';
import { CheckpointsModel } from '../checkpoints/checkpointsModel';
import { elasticIcon } from '../shared/icon';
import { translationBundle } from '../shared/translation';
import { NotebookMarks } from '../marks/marksModel';
import { HistoryModel } from '../history/historyModel';
import { PlanModel } from '../plan/planModel';
import { CheckpointsView } from '../checkpoints/CheckpointsView';
import { ExecutionsView } from '../history/ExecutionsView';
import { ModelView } from '../history/ModelView';
import { PlanView } from '../plan/PlanView';
import { TargetsModel } from '../targets/targetsModel';
import { TargetsView } from '../targets/TargetsView';
import type { IMigrationActions } from '../targets/migrationActions';
import { StatusView } from '../history/StatusView';
import { VariablesView } from '../history/VariablesView';

/** The id of the sidebar panel (and of its tab, for tests and the layout restorer). */
export const HISTORY_PANEL_ID = 'jp-elastic-notebook';

/**
 * The "Elastic Notebook" sidebar panel: the agent status of the current notebook's kernel, then
 * its recorded executions, its variables (with their checkpoint marks), the checkpoint plan and
 * the checkpoints (with the latest checkpoint or restore job) and, when given, the targets the
 * session can move to, each in a collapsible section.
 */
export class HistoryPanel extends SidePanel {
  constructor(
    readonly model: HistoryModel,
    readonly marks: NotebookMarks,
    readonly plan: PlanModel,
    readonly checkpoints: CheckpointsModel,
    actions: ICheckpointActions,
    translator: ITranslator = nullTranslator,
    readonly targets: TargetsModel | null = null,
    migration: IMigrationActions | null = null
  ) {
    super({ translator });
    const trans = translationBundle(translator);
    this.id = HISTORY_PANEL_ID;
    this.addClass('jp-ElasticNotebook-panel');
    this.title.icon = elasticIcon;
    this.title.caption = trans.__('Elastic Notebook');

    const heading = new Widget({ node: document.createElement('h2') });
    heading.addClass('jp-ElasticNotebook-heading');
    heading.node.textContent = trans.__('Elastic Notebook');
    this.header.addWidget(heading);
    this.header.addWidget(new ModelView([model.changed], () => <StatusView model={model} trans={trans} />));

    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Reload the history from the server'),
        onClick: () => void model.refresh()
      })
    );

    const executions = new ModelView([model.changed], () => <ExecutionsView model={model} trans={trans} />);
    executions.addClass('jp-ElasticNotebook-section');
    executions.title.label = trans.__('Executions');
    const variables = new ModelView([model.changed, marks.changed], () => (
      <VariablesView model={model} marks={marks} trans={trans} />
    ));
    variables.addClass('jp-ElasticNotebook-section');
    variables.title.label = trans.__('Variables');
    const planView = new ModelView([plan.changed], () => <PlanView model={plan} trans={trans} />);
    planView.addClass('jp-ElasticNotebook-section');
    planView.addClass('jp-ElasticNotebook-planSection');
    planView.title.label = trans.__('Plan');
    const checkpointsView = new ModelView([checkpoints.changed], () => (
      <CheckpointsView model={checkpoints} actions={actions} trans={trans} />
    ));
    checkpointsView.addClass('jp-ElasticNotebook-section');
    checkpointsView.addClass('jp-ElasticNotebook-checkpointsSection');
    checkpointsView.title.label = trans.__('Checkpoints');
    this.addWidget(executions);
    this.addWidget(variables);
    this.addWidget(planView);
    this.addWidget(checkpointsView);
    if (targets) {
      // The Migrate button and the migration's progress follow the checkpoints model's jobs too.
      const targetsView = new ModelView([targets.changed, checkpoints.changed], () => (
        <TargetsView model={targets} migration={migration} trans={trans} />
      ));
      targetsView.addClass('jp-ElasticNotebook-section');
      targetsView.addClass('jp-ElasticNotebook-targetsSection');
      targetsView.title.label = trans.__('Targets');
      this.addWidget(targetsView);
      targets.changed.connect(() => {
        const reachable = targets.targets.filter(t => t.reachable).length;
        targetsView.title.label = targets.targets.length
          ? trans.__('Targets (%1 of %2 reachable)', reachable, targets.targets.length)
          : trans.__('Targets');
      }, this);
    }

    // Section titles carry the counts, so a collapsed section still says something.
    model.changed.connect(() => {
      const graph = model.graph;
      executions.title.label = graph ? trans.__('Executions (%1)', graph.executions.length) : trans.__('Executions');
      variables.title.label = graph
        ? trans.__('Variables (%1 active)', graph.variables.filter(v => v.active).length)
        : trans.__('Variables');
    }, this);
    plan.changed.connect(() => {
      const current = plan.plan;
      planView.title.label = !current
        ? trans.__('Plan')
        : current.feasible
          ? trans.__('Plan (copy %1, re-run %2)', current.copy.length, current.rerun.length)
          : trans.__('Plan (no valid plan)');
    }, this);
    checkpoints.changed.connect(() => {
      const split = checkpoints.split;
      const others = split ? split.others.length : 0;
      checkpointsView.title.label = !split
        ? trans.__('Checkpoints')
        : others
          ? trans.__('Checkpoints (%1 + %2 of other notebooks)', split.own.length, others)
          : trans.__('Checkpoints (%1)', split.own.length);
    }, this);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    // A panel restored open at startup is attached visible and never gets an after-show.
    this.model.visible = this.isVisible;
    this.checkpoints.visible = this.isVisible;
    this._setTargetsVisible(this.isVisible);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.visible = true;
    this.checkpoints.visible = true;
    this._setTargetsVisible(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.visible = false;
    this.checkpoints.visible = false;
    this._setTargetsVisible(false);
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.visible = false;
    this.checkpoints.visible = false;
    this._setTargetsVisible(false);
    super.onBeforeDetach(msg);
  }

  /** The targets are probed while the panel is shown (each listing probes every target). */
  private _setTargetsVisible(visible: boolean): void {
    if (this.targets) {
      this.targets.visible = visible;
    }
  }
}
