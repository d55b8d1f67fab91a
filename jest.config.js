/** Jest runs the companion, planner and CLI suites (server/test) and the frontend unit suites (src/__tests__). */
module.exports = {
  projects: [
    {
      displayName: 'server',
      preset: 'ts-jest',
      testEnvironment: 'node',
      roots: ['<rootDir>/server/test'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/server/tsconfig.test.json' }] }
    }
  ]
};
