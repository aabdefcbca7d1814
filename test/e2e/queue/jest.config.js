// The queue-mode tier (`npm run test:queue`): n8n main + 2 workers, Redis, PostgreSQL.
const { resolve } = require('node:path');

module.exports = {
	rootDir: resolve(__dirname, '../../..'),
	displayName: 'queue',
	testEnvironment: 'node',
	testMatch: ['<rootDir>/test/e2e/queue/**/*.e2e.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true } }] },
	modulePaths: ['<rootDir>/node_modules'],
};
