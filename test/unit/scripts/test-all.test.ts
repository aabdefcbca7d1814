// `npm test`'s summary (scripts/test-all.js): a tier that skipped itself, and tests that did not run.
interface Outcome {
	status: string;
	passed: number;
	failures: number;
	failed: boolean;
	skipped: string[];
}
interface JestReport {
	numTotalTests: number;
	numPassedTests: number;
	numFailedTests: number;
	numPendingTests: number;
	testResults: Array<{ assertionResults: Array<{ status: string; fullName: string }> }>;
}
const testAll = require('../../../scripts/test-all') as {
	tierOutcome(run: {
		jest?: boolean;
		exitCode: number | null;
		seconds: string;
		report?: JestReport;
		ci: boolean;
	}): Outcome;
	notRunLines(skippedByTier: Record<string, string[]>): string[];
};

const report = (statuses: string[]): JestReport => ({
	numTotalTests: statuses.length,
	numPassedTests: statuses.filter((s) => s === 'passed').length,
	numFailedTests: statuses.filter((s) => s === 'failed').length,
	numPendingTests: statuses.filter((s) => s === 'pending').length,
	testResults: [
		{ assertionResults: statuses.map((status, i) => ({ status, fullName: `test ${i}` })) },
	],
});

describe('a tier that skipped itself', () => {
	const skippedTier = report(['pending', 'pending']);

	it('fails npm test when CI is set', () => {
		const outcome = testAll.tierOutcome({
			jest: true,
			exitCode: 0,
			seconds: '1.0',
			report: skippedTier,
			ci: true,
		});
		expect(outcome.failed).toBe(true);
		expect(outcome.failures).toBe(1);
		expect(outcome.status).toContain('SKIPPED by the tier itself');
		expect(outcome.status).toContain('CI');
	});

	it('is reported but does not fail outside CI', () => {
		const outcome = testAll.tierOutcome({
			jest: true,
			exitCode: 0,
			seconds: '1.0',
			report: skippedTier,
			ci: false,
		});
		expect(outcome.failed).toBe(false);
		expect(outcome.failures).toBe(0);
		expect(outcome.status).toContain('SKIPPED by the tier itself — NOT TESTED');
	});

	it('a tier with passing tests and one skipped test is not a skipped tier, even under CI', () => {
		const outcome = testAll.tierOutcome({
			jest: true,
			exitCode: 0,
			seconds: '1.0',
			report: report(['passed', 'pending']),
			ci: true,
		});
		expect(outcome.failed).toBe(false);
		expect(outcome.passed).toBe(1);
		expect(outcome.skipped).toEqual(['test 1']);
	});

	it('a jest tier that wrote no report, or ran no tests, fails', () => {
		for (const r of [undefined, report([])]) {
			const outcome = testAll.tierOutcome({
				jest: true,
				exitCode: 0,
				seconds: '1.0',
				report: r,
				ci: false,
			});
			expect(outcome.failed).toBe(true);
			expect(outcome.status).toContain('NO TESTS RAN');
		}
	});
});

describe('tests that did not run', () => {
	it("the summary says that the schema checks did not run when FLORA's OpenAPI files are missing", () => {
		const lines = testAll.notRunLines({
			unit: ["FLORA's OpenAPI files are there for the schema checks"],
		});
		expect(lines[0]).toMatch(/^SCHEMA CHECKS DID NOT RUN/);
		expect(lines).toContain(
			"not run (unit): FLORA's OpenAPI files are there for the schema checks",
		);
	});

	it('says nothing when everything ran', () => {
		expect(testAll.notRunLines({})).toEqual([]);
	});
});
