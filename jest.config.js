// One config, one project per tier; each npm script selects its own (`npm run test:unit` and so on).
// `unit`: no n8n engine (the simulator's own suite runs here too). `integration`: workflows on the
// real n8n-core engine over real sockets. `e2e`, `browser`, `queue`: the packed package inside real
// n8n installs (see CONTRIBUTING.md).
const project = (displayName, testMatch, extra = {}) => ({
	displayName,
	testEnvironment: 'node',
	testMatch,
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true } }] },
	// One n8n-workflow for the node and n8n-core, as inside n8n.
	modulePaths: ['<rootDir>/node_modules'],
	...extra,
});

module.exports = {
	projects: [
		project('unit', ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/simulator/**/*.test.ts']),
		project('integration', ['<rootDir>/test/integration/**/*.test.ts']),
		project('e2e', ['<rootDir>/test/e2e/**/*.test.ts'], {
			// Installs the n8n lines (once, into a cache) and packs the package before any test.
			globalSetup: '<rootDir>/test/e2e/global-setup.ts',
			globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
			slowTestThreshold: 30,
		}),
		project('browser', ['<rootDir>/test/browser/**/*.test.ts']),
		project('queue', ['<rootDir>/test/queue/**/*.test.ts']),
	],
};
