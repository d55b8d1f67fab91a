/**
 * Jest runs two projects: `server` (the companion, planner, protocol and CLI suites in server/test)
 * and `frontend` (the JupyterLab extension's specs next to the code they cover, src/**\/__tests__).
 */
const jupyterLabConfig = require('@jupyterlab/testing/lib/jest-config');

/** Packages that ship ES modules only, so that babel turns them into CommonJS for jest. */
const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyter/react-components',
  '@jupyter/web-components',
  '@jupyterlab/',
  '@marijn',
  '@microsoft',
  'color',
  'exenv-es6',
  'lib0',
  'marked',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

// The wire contract from its sources, so that neither project needs a build of it.
const protocolFromSources = {
  '^@elastic-notebook/protocol$': '<rootDir>/protocol/src/index.ts',
  '^@elastic-notebook/protocol/schemas$': '<rootDir>/protocol/src/schemas/index.ts'
};

const lab = jupyterLabConfig(__dirname);

module.exports = {
  projects: [
    {
      displayName: 'server',
      preset: 'ts-jest',
      testEnvironment: 'node',
      roots: ['<rootDir>/server/test'],
      moduleNameMapper: protocolFromSources,
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/server/tsconfig.test.json' }] }
    },
    {
      // JupyterLab's own jest setup (jsdom, shims, resolver), as the extension template uses it.
      displayName: 'frontend',
      rootDir: __dirname,
      roots: ['<rootDir>/src'],
      testRegex: '/__tests__/.*\\.spec\\.tsx?$',
      moduleFileExtensions: lab.moduleFileExtensions,
      moduleNameMapper: { ...lab.moduleNameMapper, ...protocolFromSources },
      resolver: lab.resolver,
      setupFiles: lab.setupFiles,
      testEnvironment: lab.testEnvironment,
      transform: {
        ...lab.transform,
        '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }]
      },
      transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
    }
  ]
};
