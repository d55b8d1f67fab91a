/**
 * What a replication plan optimises (docs/method.md section 3): the one list of objective names,
 * with the labels the panel's selector shows. Everything else (validation, help texts, the
 * selector) derives from it.
 */

/** The objectives with their labels, in the order validation messages and help texts name them. */
const TABLE = [
  { value: 'fast-migrate', label: 'Fast migrate' },
  { value: 'fast-restore', label: 'Fast restore' },
  { value: 'balanced', label: 'Balanced' }
] as const;

/** What the plan optimises. */
export type Objective = (typeof TABLE)[number]['value'];

/** The objective names: `fast-migrate`, `fast-restore`, `balanced`. */
export const OBJECTIVES: readonly [Objective, ...Objective[]] = [TABLE[0].value, TABLE[1].value, TABLE[2].value];

/** The objective a plan or checkpoint uses when none is asked for. */
export const DEFAULT_OBJECTIVE: Objective = TABLE[2].value;

/** The objectives with their labels, in the order the selector lists them: the default first. */
export const OBJECTIVE_LABELS: ReadonlyArray<{ value: Objective; label: string }> = [TABLE[2], TABLE[0], TABLE[1]];

/** Whether `value` names an objective. */
export function isObjective(value: unknown): value is Objective {
  return (OBJECTIVES as readonly unknown[]).includes(value);
}

/** `"fast-migrate", "fast-restore" or "balanced"`: the names as a validation message lists them. */
export function objectiveChoices(quote = '"'): string {
  const quoted = OBJECTIVES.map(name => `${quote}${name}${quote}`);
  return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}
