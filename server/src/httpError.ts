/**
 * The one error the companion's app and routes throw to answer a request with a status and the
 * protocol's error body (`IErrorBody`: `{"error": message}`).
 */
import type { IErrorBody } from '@elastic-notebook/protocol';

/**
 * An error answered with `status` and `{error: message}`. It follows the http-errors convention
 * (`status`, `expose`): a 4xx is the caller's to see, anything else is answered as an internal error.
 */
export class HttpError extends Error {
  /** Whether the message is answered as it is (a 4xx). */
  readonly expose: boolean;

  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.expose = status >= 400 && status < 500;
  }

  /** The answer's body. */
  body(): IErrorBody {
    return { error: this.message };
  }
}
