import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { ISignal } from '@lumino/signaling';
import React from 'react';

/**
 * A widget that re-renders a React view whenever one of the given signals fires (the `changed`
 * signals of the models the view shows).
 */
export class ModelView extends ReactWidget {
  constructor(
    private readonly signals: ISignal<unknown, unknown>[],
    private readonly view: () => JSX.Element
  ) {
    super();
  }

  protected render(): JSX.Element {
    // One UseSignal per signal, nested: any of them re-renders the view.
    const render = this.signals.reduceRight<() => JSX.Element>(
      (inner, signal) => () => <UseSignal signal={signal}>{inner}</UseSignal>,
      this.view
    );
    return render();
  }
}
