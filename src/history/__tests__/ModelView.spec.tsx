import { act } from '@testing-library/react';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import React from 'react';
import { ModelView } from '../ModelView';

describe('ModelView', () => {
  let widget: ModelView | null = null;

  afterEach(() => {
    act(() => widget?.dispose());
    widget = null;
  });

  it('renders the view once attached and again whenever one of its signals fires', async () => {
    const owner = {};
    const first = new Signal<object, void>(owner);
    const second = new Signal<object, string>(owner);
    let text = 'one';
    const view = jest.fn(() => <p className="shown">{text}</p>);
    widget = new ModelView([first, second], view);
    expect(widget.node.textContent).toBe('');

    await act(async () => Widget.attach(widget as ModelView, document.body));
    expect(document.body.querySelector('.shown')?.textContent).toBe('one');
    const renders = view.mock.calls.length;

    text = 'two';
    // Not re-rendered until a signal says the model changed.
    expect(widget.node.textContent).toBe('one');
    await act(async () => first.emit());
    expect(widget.node.textContent).toBe('two');
    expect(view.mock.calls.length).toBeGreaterThan(renders);

    text = 'three';
    await act(async () => second.emit('changed'));
    expect(widget.node.textContent).toBe('three');
  });

  it('stops listening once disposed', async () => {
    const signal = new Signal<object, void>({});
    let text = 'before';
    widget = new ModelView([signal], () => <span>{text}</span>);
    await act(async () => Widget.attach(widget as ModelView, document.body));
    expect(widget.node.textContent).toBe('before');
    act(() => widget?.dispose());
    text = 'after';
    await act(async () => signal.emit());
    expect(document.body.textContent).not.toContain('after');
    expect(document.body.contains(widget.node)).toBe(false);
  });
});
