/** The objective of a plan or checkpoint request, validated against the one list of names. */
import { z } from 'zod';
import { objectiveChoices, OBJECTIVES } from '../objectives';

/** One of `OBJECTIVES`; the message lists them all. */
export const objectiveSchema = z.enum(OBJECTIVES, { error: `must be ${objectiveChoices()}` });
