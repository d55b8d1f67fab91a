import type { IJob as IJobJSON } from '@elastic-notebook/protocol';
/** A checkpoint or restore failed; the message says what and, where possible, what to do. */
export class MigrationError extends Error {
  constructor(
    message: string,
    /** A reason the UI can act on (the job's `errorCode`). */
    readonly code?: IJobJSON['errorCode']
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}
