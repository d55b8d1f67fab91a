import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { asMarks, bracketed, fakeMarks } from '../../shared/__tests__/viewFixtures';
import { VariableMarkSelect } from '../VariableMarkSelect';

const select = () => screen.getByRole('combobox', { name: 'Checkpoint mark of df' }) as HTMLSelectElement;

describe('VariableMarkSelect', () => {
  it('offers the three marks and shows the variable’s current one', () => {
    const marks = fakeMarks({ df: 'always-copy' });
    render(<VariableMarkSelect marks={asMarks(marks)} name="df" />);
    const element = select();
    expect(Array.from(element.options).map(o => [o.value, o.textContent])).toEqual([
      ['auto', 'auto'],
      ['always-copy', 'always copy'],
      ['never-copy', 'never copy']
    ]);
    expect(element.value).toBe('always-copy');
    expect(element.title).toBe('What a checkpoint may do with df');
    expect(marks.markOf).toHaveBeenCalledWith('df');
  });

  it('stores the chosen mark for the variable', () => {
    const marks = fakeMarks();
    render(<VariableMarkSelect marks={asMarks(marks)} name="df" />);
    expect(select().value).toBe('auto');
    fireEvent.change(select(), { target: { value: 'never-copy' } });
    expect(marks.setMark).toHaveBeenCalledTimes(1);
    expect(marks.setMark).toHaveBeenCalledWith('df', 'never-copy');
  });

  it('is enabled with a notebook and disabled without one', () => {
    const { rerender } = render(<VariableMarkSelect marks={asMarks(fakeMarks())} name="df" />);
    expect(select().disabled).toBe(false);
    rerender(<VariableMarkSelect marks={asMarks(fakeMarks({}, null))} name="df" />);
    expect(select().disabled).toBe(true);
  });

  it('translates its labels', () => {
    render(<VariableMarkSelect marks={asMarks(fakeMarks())} name="df" trans={bracketed()} />);
    const element = screen.getByRole('combobox', { name: '[Checkpoint mark of df]' }) as HTMLSelectElement;
    expect(Array.from(element.options).map(o => o.textContent)).toEqual(['[auto]', '[always copy]', '[never copy]']);
  });
});
