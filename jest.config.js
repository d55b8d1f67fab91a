/** Jest runs the companion, planner and CLI suites (server/test) and the frontend unit suites (src/__tests__). */
module.exports = {
  projects: [
    {
      displayName: 'server',
      preset: 'ts-jest',
      testEnvironment: 'node',
      roots: ['<rootDir>/server/test'],
      // The wire contract from its sources, so that the suites need no build of it.
      moduleNameMapper: {
        '^@elastic-notebook/protocol$': '<rootDir>/protocol/src/index.ts',
        '^@elastic-notebook/protocol/schemas$': '<rootDir>/protocol/src/schemas/index.ts'
      },
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/server/tsconfig.test.json' }] }
    }
  ]
};
