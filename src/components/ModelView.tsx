import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import React from 'react';
import { HistoryModel } from '../model';

/**
 * A widget that re-renders a React view of the history model whenever the model changes.
 */
export class ModelView extends ReactWidget {
  constructor(
    protected readonly model: HistoryModel,
    private readonly view: (model: HistoryModel) => JSX.Element
  ) {
    super();
  }

  protected render(): JSX.Element {
    return <UseSignal signal={this.model.changed}>{() => this.view(this.model)}</UseSignal>;
  }
}
