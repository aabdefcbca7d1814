// Two tiers: `unit` (no n8n engine; the simulator's own tests live here too) and
// `integration` (workflows on the real n8n-core engine, over real sockets).
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
	],
};
