/**
 * The objective names live in one constant (protocol/src/objectives.ts). The settings schema
 * (schema/panel.json) is static JSON that JupyterLab reads as it is, so it cannot import them:
 * this suite keeps its enum equal to the constant.
 */
import fs from 'fs';
import path from 'path';
import { DEFAULT_OBJECTIVE, OBJECTIVE_LABELS, OBJECTIVES, objectiveChoices } from '@elastic-notebook/protocol';

describe('the objective list', () => {
  test("the settings schema's defaultObjective offers exactly the objectives, and defaults to the default", () => {
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../schema/panel.json'), 'utf8'));
    const setting = schema.properties.defaultObjective;
    expect([...setting.enum].sort()).toEqual([...OBJECTIVES].sort());
    expect(setting.default).toBe(DEFAULT_OBJECTIVE);
  });

  test('the selector lists every objective once, the default first', () => {
    expect(OBJECTIVE_LABELS.map(o => o.value).sort()).toEqual([...OBJECTIVES].sort());
    expect(OBJECTIVE_LABELS[0].value).toBe(DEFAULT_OBJECTIVE);
  });

  test('validation messages name them in order', () => {
    expect(objectiveChoices()).toBe('"fast-migrate", "fast-restore" or "balanced"');
    expect(objectiveChoices('')).toBe('fast-migrate, fast-restore or balanced');
  });
});
