import type { Simulator } from '../../simulator';
import {
	generationParams,
	locator,
	mapped,
	pairedIndexes,
	readBinaryOf,
	requestsTo,
	runFlora,
	sha256,
	simProject,
	useSimulator,
} from '../flora';

let sim: Simulator;
beforeAll(async () => {
	sim = await useSimulator({ runDurationMs: 300 });
});
afterAll(async () => await sim.close());
beforeEach(() => sim.reset());

describe('Generation → Create', () => {
	it('generates with typed model parameters and downloads every output', async () => {
		const result = await runFlora(sim, {
			parameters: generationParams({
				model: locator('flora-image-1'),
				modelParameters: mapped({ aspect_ratio: '16:9', num_images: '2', seed: 42 }),
			}),
		});
		expect(result.error).toBeUndefined();
		const [run] = sim.gen.runs();
		expect(sim.gen.runs()).toHaveLength(1);
		expect(run).toMatchObject({ status: 'completed', model_id: 'flora-image-1' });

		const [post] = requestsTo(sim, 'api', /^\/generate$/);
		expect(post.method).toBe('POST');
		expect(post.idempotencyKey).toMatch(/^n8n_[0-9a-f]{48}$/);
		expect(run.idempotency_key).toBe(post.idempotencyKey);

		expect(result.items).toHaveLength(1);
		const [item] = result.items;
		expect(item.json).toMatchObject({
			run_id: run.run_id,
			status: 'completed',
			charged_cost: run.charged_cost,
			project_id: simProject(),
		});
		expect(item.json.outputs).toHaveLength(2);
		expect(Object.keys(item.binary ?? {})).toEqual(['data', 'data_1']);
		for (const [i, property] of ['data', 'data_1'].entries()) {
			const file = await sim.gen.file(run.outputs[i].url);
			expect(sha256(await readBinaryOf(item, property))).toBe(file.sha256);
			expect(item.binary?.[property].mimeType).toBe('image/png');
		}
		expect(pairedIndexes(result.items)).toEqual([0]);
	});
});
