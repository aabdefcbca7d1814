const path = require('node:path');

/** The simulator's own suite: `npx jest -c test/simulator/jest.config.js` */
module.exports = {
	displayName: 'simulator',
	rootDir: path.join(__dirname, '..', '..'),
	testEnvironment: 'node',
	testMatch: ['<rootDir>/test/simulator/**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.json') }],
	},
	modulePaths: ['<rootDir>/node_modules'],
};
