import type { INodeParameters } from 'n8n-workflow';

import { runFlora, simulatorForFile } from '../harness/flora';
import { badInputCases } from './bad-input.cases';

const sim = simulatorForFile();

describe('Bad input is refused before any request', () => {
	it('has at least 20 cases', () => {
		expect(badInputCases.length).toBeGreaterThanOrEqual(20);
	});

	const nodeCases = badInputCases.filter((c) => !c.n8nCheck);
	const n8nCases = badInputCases.filter((c) => c.n8nCheck);

	it.each(nodeCases.map((c) => [`${c.field}: ${c.input}`, c] as const))('%s', async (_name, c) => {
		const result = await runFlora(sim, {
			parameters: c.parameters as INodeParameters,
			items: c.items,
		});
		expect(result.error?.message).toBe(c.message);
		// NodeOperationError with the item index and a fix in its description.
		expect(result.error?.constructor.name).toBe('NodeOperationError');
		expect((result.error as { context?: { itemIndex?: number } }).context?.itemIndex).toBe(0);
		expect(String((result.error as { description?: string }).description).length).toBeGreaterThan(
			20,
		);
		expect(sim.record.requests).toEqual([]);
	});

	it.each(n8nCases.map((c) => [`${c.field}: ${c.input}`, c] as const))('%s', async (_name, c) => {
		await expect(
			runFlora(sim, { parameters: c.parameters as INodeParameters, items: c.items }),
		).rejects.toThrow(expect.objectContaining({ message: expect.stringContaining(c.message) }));
		expect(sim.record.requests).toEqual([]);
	});
});
