// Tiers: `unit` (no n8n engine; the simulator's own tests live here too),
// `integration` (workflows on the real n8n-core engine, over real sockets) and
// `e2e` (the packed package inside real n8n installs, run by n8n's CLI; `npm run test:e2e`).
const project = (displayName, testMatch) => ({
	displayName,
	testEnvironment: 'node',
	testMatch,
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true } }] },
	// One n8n-workflow for the node and n8n-core, as inside n8n.
	modulePaths: ['<rootDir>/node_modules'],
});

module.exports = {
	projects: [
		project('unit', ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/simulator/**/*.test.ts']),
		project('integration', ['<rootDir>/test/integration/**/*.test.ts']),
		{
			...project('e2e', ['<rootDir>/test/e2e/**/*.test.ts']),
			// The browser tier under test/e2e/editor has its own config (npm run test:browser).
			testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/editor/'],
			// Installs the n8n lines (once, into a cache) and packs the package before any test.
			globalSetup: '<rootDir>/test/e2e/global-setup.ts',
			globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
			slowTestThreshold: 30,
		},
	],
};
