/**
 * User marks that constrain the plan (docs/method.md section 3), as a plan or checkpoint request
 * carries them and the notebook stores them: cells never to re-run, variables always or never to copy.
 */
import { z } from 'zod';

const name = z.string().min(1, 'variable names cannot be empty');

/** The JSON form of the marks (stored per notebook, sent with a plan request); missing lists default to empty. */
export const marksSchema = z
  .object({
    neverRerun: z
      .object({
        /** nbformat cell ids (stable when cells move). */
        cellIds: z.array(z.string().min(1, 'cell ids cannot be empty')).default([]),
        /** 0-based cell positions, for notebooks without cell ids. */
        cellIndices: z.array(z.number().int().nonnegative()).default([])
      })
      .strict()
      .default({ cellIds: [], cellIndices: [] }),
    alwaysCopy: z.array(name).default([]),
    neverCopy: z.array(name).default([])
  })
  .strict()
  .superRefine((marks, ctx) => {
    const never = new Set(marks.neverCopy);
    for (const variable of marks.alwaysCopy) {
      if (never.has(variable)) {
        ctx.addIssue({
          code: 'custom',
          path: ['alwaysCopy'],
          message: `variable '${variable}' is marked both "always copy" and "never copy"; remove one of the marks`
        });
      }
    }
  });

/** Validated marks: every list present. */
export type Marks = z.output<typeof marksSchema>;
