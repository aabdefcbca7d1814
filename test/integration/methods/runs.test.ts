/** The editor's pickers and field lists of Generation → Create and Technique → Run. */
import type { INodeParameters } from 'n8n-workflow';

import { locator, requestsTo, simProject, simulatorForFile } from '../harness/flora';
import { floraAsTool, listSearch, resourceMapping } from '../harness/contexts';

const sim = simulatorForFile({ runDurationMs: 300 });

const credentials = () => ({ apiKey: sim.apiKey, baseUrl: sim.apiBaseUrl });
const generation = (parameters: INodeParameters): INodeParameters => ({
	resource: 'generation',
	operation: 'create',
	...parameters,
});
const technique = (parameters: INodeParameters): INodeParameters => ({
	resource: 'technique',
	operation: 'run',
	...parameters,
});

describe('Model picker (searchModels)', () => {
	it("lists the chosen type's models with their estimated credits and time", async () => {
		const { results } = await listSearch({
			method: 'searchModels',
			path: 'parameters.model',
			parameters: generation({ type: 'video' }),
			credentials: credentials(),
		});
		expect(results).toEqual([
			{ name: 'Veo 3', value: 'veo-3', description: '≈ 120 credits · ≈ 90 s · google' },
			{ name: 'Kling 2.1', value: 'kling-2.1', description: '≈ 80 credits · ≈ 120 s · kling' },
		]);
		expect(requestsTo(sim, 'api', /^\/models$/).map((r) => r.query)).toEqual([{ type: 'video' }]);
	});

	it('searches by name, ID or provider', async () => {
		const { results } = await listSearch({
			method: 'searchModels',
			path: 'parameters.model',
			parameters: generation({ type: 'image' }),
			filter: 'openai',
			credentials: credentials(),
		});
		expect(results.map((r) => r.value)).toEqual(['gpt-image-1']);
		expect(results[0].name).toContain('(beta)');
	});
});

describe('Technique picker (searchTechniques)', () => {
	it("lists the workspace's techniques with cost and inputs, searched by FLORA", async () => {
		const all = await listSearch({
			method: 'searchTechniques',
			path: 'parameters.technique',
			parameters: technique({ workspace: locator('ws_demo') }),
			credentials: credentials(),
		});
		expect(all.results.map((r) => r.value)).toEqual([
			'tech_product_photo_variants',
			'tech_caption_writer',
			'tech_video_upscale',
			'tech_moodboard_teaser',
		]);
		expect(all.results[0]).toEqual({
			name: 'Product Photo Variants',
			value: 'tech_product_photo_variants',
			description:
				'Three studio shots of a product photo, optionally steered by style notes. · $0.12 a run · inputs: Product image, Style notes',
		});
		const found = await listSearch({
			method: 'searchTechniques',
			path: 'parameters.technique',
			parameters: technique({ workspace: locator('ws_studio') }),
			filter: 'headshot',
			credentials: credentials(),
		});
		expect(found.results.map((r) => r.value)).toEqual(['tech_studio_headshots']);
		expect(requestsTo(sim, 'api', /^\/techniques$/).map((r) => r.query)).toEqual([
			{ limit: '50', workspace_id: 'ws_demo' },
			{ limit: '50', workspace_id: 'ws_studio', query: 'headshot' },
		]);
	});
});

describe('Model Parameters fields (getModelParameters)', () => {
	it("are the chosen model's params, typed, with defaults, options and required marks", async () => {
		const { fields } = await resourceMapping({
			method: 'getModelParameters',
			parameters: generation({ type: 'image', model: locator('gpt-image-1', 'list') }),
			credentials: credentials(),
		});
		expect(fields).toEqual([
			expect.objectContaining({
				id: 'quality',
				displayName: 'Quality',
				type: 'options',
				required: true,
				options: [
					{ name: 'Low', value: 'low' },
					{ name: 'Medium', value: 'medium' },
					{ name: 'High', value: 'high' },
				],
			}),
			expect.objectContaining({
				id: 'reference_images',
				displayName: 'Reference images (list)',
				type: 'array',
				required: false,
			}),
			expect.objectContaining({
				id: 'provider_options',
				displayName: 'Provider options (JSON object)',
				type: 'object',
			}),
		]);
	});

	it('are none, with a notice, while no model is chosen', async () => {
		const answer = await resourceMapping({
			method: 'getModelParameters',
			parameters: generation({ type: 'image' }),
			credentials: credentials(),
		});
		expect(answer.fields).toEqual([]);
		expect(answer.emptyFieldsNotice).toMatch(/Choose a model/);
		expect(sim.record.requests).toEqual([]);
	});
});

describe('Inputs fields (getTechniqueInputs)', () => {
	it("are the technique's inputs, by ID or slug", async () => {
		const { fields } = await resourceMapping({
			method: 'getTechniqueInputs',
			parameters: technique({ technique: locator('moodboard-teaser') }),
			credentials: credentials(),
		});
		expect(fields.map((f) => [f.id, f.displayName, f.required])).toEqual([
			[
				'moodboard',
				'Moodboard images (image: HTTPS URL or input binary field name; several allowed: a list)',
				true,
			],
			['script', 'Voice-over script', true],
		]);
	});
});

describe('As an AI agent tool', () => {
	const fromAI = (key: string, description: string) =>
		`={{ $fromAI('${key}', '${description}', 'string') }}`;

	it('generates from the prompt the agent gives and answers with the output URLs', async () => {
		const tool = floraAsTool(
			generation({
				workspace: locator('ws_demo'),
				project: locator(simProject()),
				type: 'image',
				prompt: fromAI('prompt', 'What to draw'),
			}),
			credentials(),
		);
		expect(tool.argumentNames).toEqual(['prompt']);
		expect(tool.description).toBe('Generate an image, video, audio or text in Flora');
		const answer = JSON.parse(await tool.invoke({ prompt: 'A blue vase' }));
		const [run] = sim.gen.runs();
		expect(answer).toEqual([
			expect.objectContaining({
				run_id: run.run_id,
				status: 'completed',
				outputs: [expect.objectContaining({ type: 'imageUrl', url: run.outputs[0].url })],
			}),
		]);
		// Nothing downloaded: binary data cannot reach the agent.
		expect(sim.record.downloads).toEqual([]);
	});

	it('runs a technique on a URL the agent gives', async () => {
		const tool = floraAsTool(
			technique({
				workspace: locator('ws_demo'),
				technique: locator('product-photo-variants'),
				inputs: {
					mappingMode: 'defineBelow',
					value: { product_image: fromAI('image_url', 'Public HTTPS URL of the product photo') },
					matchingColumns: [],
					schema: [],
				},
			}),
			credentials(),
		);
		expect(tool.argumentNames).toEqual(['image_url']);
		const answer = JSON.parse(await tool.invoke({ image_url: 'https://cdn.example.com/vase.png' }));
		expect(answer[0]).toMatchObject({
			status: 'completed',
			technique_id: 'tech_product_photo_variants',
		});
		expect(answer[0].outputs).toHaveLength(3);
	});

	it('refuses a binary input from an agent with the message that says what to use', async () => {
		const tool = floraAsTool(
			technique({
				workspace: locator('ws_demo'),
				technique: locator('product-photo-variants'),
				inputs: {
					mappingMode: 'defineBelow',
					value: { product_image: fromAI('image', 'The product photo') },
					matchingColumns: [],
					schema: [],
				},
			}),
			credentials(),
		);
		const error = await tool.invoke({ image: 'data' }).catch((e: unknown) => e as Error);
		expect((error as Error).message).toMatch(
			/^Binary files cannot be passed to this tool by an AI agent\n\nDetails: /,
		);
		expect(sim.gen.runs()).toEqual([]);
		expect(sim.record.requests.filter((r) => r.method !== 'GET')).toEqual([]);
	});
});
