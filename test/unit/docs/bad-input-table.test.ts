import { readFileSync } from 'node:fs';

import {
	README,
	readmeSection,
	renderBadInputTable,
	withTable,
} from '../../../scripts/docs-bad-input';
import { badInputCases } from '../../integration/asset/bad-input.cases';

describe("README's bad-input table", () => {
	it('matches the test cases (fix with npm run docs:bad-input)', () => {
		const readme = readFileSync(README, 'utf8');
		expect(readmeSection(readme)).toBe(renderBadInputTable());
	});

	it('has one row per case, whatever cases exist', () => {
		const table = renderBadInputTable();
		expect(table.split('\n')).toHaveLength(badInputCases.length + 2);
		const extra = renderBadInputTable([
			...badInputCases,
			{ field: 'New field', input: 'a | b', parameters: {}, message: 'New message' },
		]);
		expect(extra.split('\n').at(-1)).toBe('| New field | a \\| b | New message |');
	});

	it('rewriting puts the table between the markers and changes nothing else', () => {
		const readme = readFileSync(README, 'utf8');
		const stale = withTable(readme, '| stale |');
		expect(readmeSection(stale)).toBe('| stale |');
		expect(withTable(stale)).toBe(readme);
	});
});
