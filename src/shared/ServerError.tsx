import React from 'react';

/** Why the last request of a view failed, announced to screen readers; nothing without one. */
export function ServerError({ message }: { message: string | null }): JSX.Element | null {
  return message ? (
    <p className="jp-ElasticNotebook-serverError" role="alert">
      {message}
    </p>
  ) : null;
}
