/**
 * Structural checks of a planner input. The input is built in-process (by `fromGraph` or a test),
 * so these check the invariants the solver relies on, in one linear pass, with messages that
 * name the offending element.
 */
import { OBJECTIVES, IPlannerInput } from './types';

/** Raised when a planner input breaks an invariant; nothing is planned. */
export class PlannerInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlannerInputError';
  }
}

const MEMBER_LISTS = ['unserializable', 'external', 'neverCopy', 'alwaysCopy'] as const;

const isIndex = (value: number, bound: number) => Number.isInteger(value) && value >= 0 && value < bound;

/** Throw unless `value` is a finite number >= 0 (`optional`: or undefined); `name` says where. */
function requireNonNegative(value: number | undefined, name: string, optional = false): void {
  if (optional && value === undefined) {
    return;
  }
  if (!(Number.isFinite(value) && (value as number) >= 0)) {
    throw new PlannerInputError(`${name} must be a finite number >= 0, got ${value}`);
  }
}

/** Throw a `PlannerInputError` naming the first broken invariant. */
export function validateInput(input: IPlannerInput): void {
  if (!OBJECTIVES.includes(input.objective)) {
    throw new PlannerInputError(`objective '${input.objective}' is not one of ${OBJECTIVES.join(', ')}`);
  }
  const model = input.costModel;
  for (const field of [
    'serializeBytesPerSec',
    'deserializeBytesPerSec',
    'writeBytesPerSec',
    'readBytesPerSec',
    'targetSpeed'
  ] as const) {
    if (!(Number.isFinite(model[field]) && model[field] > 0)) {
      throw new PlannerInputError(`costModel.${field} must be a finite number > 0, got ${model[field]}`);
    }
  }
  requireNonNegative(model.payloadLatencyMs, 'costModel.payloadLatencyMs');
  const transfer = model.transferBytesPerSec;
  if (transfer !== undefined && !(Number.isFinite(transfer) && transfer > 0)) {
    throw new PlannerInputError(`costModel.transferBytesPerSec must be a finite number > 0, got ${transfer}`);
  }
  requireNonNegative(input.importsMs, 'importsMs', true);
  const { migrate, restore } = model.weights;
  if (!(migrate >= 0 && restore >= 0 && Number.isFinite(migrate + restore) && migrate + restore > 0)) {
    throw new PlannerInputError(`costModel.weights must be finite, >= 0 and not both 0, got ${migrate}, ${restore}`);
  }
  const E = input.executions.length;
  input.executions.forEach((execution, e) => {
    if (execution.index !== e) {
      throw new PlannerInputError(`executions[${e}].index is ${execution.index}; executions must be listed in order`);
    }
    requireNonNegative(execution.durationMs, `executions[${e}].durationMs`);
    requireNonNegative(execution.importMs, `executions[${e}].importMs`, true);
    requireNonNegative(execution.riskMs, `executions[${e}].riskMs`, true);
    for (const d of execution.depends) {
      // Dependencies are producers of what the execution read, so they ran before it.
      if (!isIndex(d, e)) {
        throw new PlannerInputError(`executions[${e}].depends contains ${d}, which is not an earlier execution`);
      }
    }
  });
  const seen = new Map<string, number>();
  input.groups.forEach((group, g) => {
    if (group.members.length === 0) {
      throw new PlannerInputError(`groups[${g}] has no members`);
    }
    for (const name of group.members) {
      const other = seen.get(name);
      if (other !== undefined) {
        throw new PlannerInputError(
          `variable '${name}' is in groups[${other}] and groups[${g}]; linked groups must not overlap`
        );
      }
      seen.set(name, g);
    }
    requireNonNegative(group.sizeBytes, `groups[${g}].sizeBytes`);
    if (group.arrayBytes !== undefined) {
      requireNonNegative(group.arrayBytes, `groups[${g}].arrayBytes`);
    }
    for (const p of group.producers) {
      if (!isIndex(p, E)) {
        throw new PlannerInputError(`groups[${g}].producers contains ${p}, which is not an execution index`);
      }
    }
    requireNonNegative(group.importMs, `groups[${g}].importMs`, true);
    if (group.producers.length === 0 && group.external.length === 0) {
      throw new PlannerInputError(
        `groups[${g}] (${group.members.join(', ')}) has neither a producing execution nor an external member`
      );
    }
    for (const list of MEMBER_LISTS) {
      for (const name of group[list]) {
        if (seen.get(name) !== g) {
          throw new PlannerInputError(`groups[${g}].${list} names '${name}', which is not a member`);
        }
      }
    }
  });
}
