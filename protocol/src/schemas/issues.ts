/** Validation failures in words, for the `error` of a 400 answer. */
import type { z } from 'zod';

/** One line naming the first problems of a failed validation: `records.0.durationMs: ...`. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 3)
    .map(issue => {
      const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${where || 'request body'}: ${issue.message}`;
    })
    .join('; ');
}
