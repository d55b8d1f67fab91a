/** Identifiers that travel in URLs and become folder and file names in the companion. */
import { z } from 'zod';

/** Kernel, run and job ids: only characters that cannot escape a folder. */
export const idSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/,
    'must be 1-128 letters, digits, "_", "-" or "." and not start with "."'
  );
