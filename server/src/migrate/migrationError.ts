/** A checkpoint or restore failed; the message says what and, where possible, what to do. */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}
