// The browser tier (`npm run test:browser`): the n8n editor in Chromium, one file, run alone.
const { resolve } = require('node:path');

module.exports = {
	rootDir: resolve(__dirname, '../../..'),
	displayName: 'browser',
	testEnvironment: 'node',
	testMatch: ['<rootDir>/test/e2e/editor/**/*.browser.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true } }] },
	modulePaths: ['<rootDir>/node_modules'],
};
