import { ReactWidget, SidePanel, UseSignal } from '@jupyterlab/ui-components';
import React from 'react';
import { elasticIcon } from '../icon';
import { HistoryModel } from '../model';
import { HistoryView } from './HistoryView';

/** The "Elastic Notebook" sidebar panel. */
export class HistoryPanel extends SidePanel {
  constructor(readonly model: HistoryModel) {
    super();
    this.id = 'jp-elastic-notebook';
    this.addClass('jp-ElasticNotebook-panel');
    this.title.icon = elasticIcon;
    this.title.caption = 'Elastic Notebook';
    const heading = document.createElement('h2');
    heading.className = 'jp-ElasticNotebook-heading';
    heading.textContent = 'Elastic Notebook';
    this.header.node.appendChild(heading);
    this.addWidget(
      ReactWidget.create(
        <UseSignal signal={model.changed}>
          {() => (
            <HistoryView
              notebookPath={model.notebookPath}
              status={model.agentStatus}
              graph={model.graph}
              error={model.error}
            />
          )}
        </UseSignal>
      )
    );
  }

  protected onAfterShow(): void {
    void this.model.refresh();
  }
}
