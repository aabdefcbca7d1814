import type { IDataObject, INodeParameters } from 'n8n-workflow';

import type { FixtureItem } from '../harness';
import {
	bytes,
	generationParams,
	imageItem,
	locator,
	mapped,
	runFlora,
	techniqueParams,
	simulatorForFile,
} from '../harness/flora';

const sim = simulatorForFile({ runDurationMs: 300 });

/**
 * Bad input for Generation → Create and Technique → Run, refused before any
 * paid request. Rows that need the model's or technique's schema may read it
 * (a free GET); nothing else is sent.
 */
interface Case {
	name: string;
	parameters: INodeParameters;
	items?: FixtureItem[];
	message: string;
	/** The item the error names; 0 unless the bad value comes from a later item. */
	itemIndex?: number;
	/** The one free read the check needs. */
	reads?: RegExp;
}

const expr = (value: unknown) => `={{ ${JSON.stringify(value)} }}`;
const gen = (extra: IDataObject) => generationParams(extra);
const flux = (params: IDataObject, extra: IDataObject = {}) =>
	gen({ model: locator('flux-1.1-pro'), modelParameters: mapped(params), ...extra });
const variants = (inputs: IDataObject, extra: IDataObject = {}) =>
	techniqueParams('product-photo-variants', inputs, extra);
const MODELS = /^\/models$/;
const TECHNIQUE = /^\/techniques\/product-photo-variants$/;

const cases: Case[] = [
	{ name: 'Prompt empty', parameters: gen({ prompt: expr('') }), message: 'Prompt is empty' },
	{
		name: 'Prompt only spaces',
		parameters: gen({ prompt: '   ' }),
		message: 'Prompt contains only spaces',
	},
	{
		name: 'Prompt from data, empty on the second item',
		parameters: gen({ prompt: '={{ $json.p }}' }),
		items: [{ json: { p: 'a vase' } }, { json: { p: '' } }],
		message: 'Prompt is empty',
		itemIndex: 1,
	},
	{
		name: 'Project empty',
		parameters: gen({ project: locator(expr('')) }),
		message: 'Project is empty',
	},
	{
		name: 'Project not a project ID',
		parameters: gen({ project: locator(expr('ws_demo')) }),
		message: 'Project ID "ws_demo" is not a FLORA project ID',
	},
	{
		name: 'Workspace not a workspace ID',
		parameters: gen({ workspace: locator(expr('prj_1')) }),
		message: 'Workspace ID "prj_1" is not a FLORA workspace ID',
	},
	{
		name: 'Type unknown',
		parameters: gen({ type: expr('3d') }),
		message: 'Type must be one of image, video, audio, text, but it is "3d"',
	},
	{
		name: 'Model with a space',
		parameters: gen({ model: locator(expr('flux pro')) }),
		message: 'Model "flux pro" is not a model ID',
	},
	{
		name: 'Model of another type',
		parameters: gen({ model: locator('veo-3') }),
		message: 'Model "veo-3" is not a FLORA image model',
		reads: MODELS,
	},
	{
		name: 'Parameter of another model',
		parameters: flux({ num_images: 2 }),
		message: 'Model Parameters → "num_images" is not a parameter of model flux-1.1-pro',
		reads: MODELS,
	},
	{
		name: 'Parameter of the wrong type',
		parameters: flux({ guidance: 'strong' }),
		message: 'Model Parameters → Guidance must be a number, but it is "strong"',
		reads: MODELS,
	},
	{
		name: 'Parameter out of range',
		parameters: flux({ guidance: 11 }),
		message: 'Model Parameters → Guidance must be 1.5–10, but it is 11',
		reads: MODELS,
	},
	{
		name: 'Parameter not among its options',
		parameters: flux({ aspect_ratio: '={{ $json.ratio }}' }),
		items: [{ json: { ratio: '1:1' } }, { json: { ratio: '5:4' } }],
		message:
			'Model Parameters → Aspect ratio must be one of 1:1, 16:9, 9:16, 3:2, 2:3, but it is "5:4"',
		itemIndex: 1,
		reads: MODELS,
	},
	{
		name: 'Seed not a whole number',
		parameters: flux({ seed: 1.5 }),
		message: 'Model Parameters → Seed must be a whole number, but it is 1.5',
		reads: MODELS,
	},
	{
		name: 'Required parameter missing',
		parameters: gen({ model: locator('gpt-image-1'), modelParameters: mapped({}) }),
		message: 'Model Parameters → Quality is required by model gpt-image-1',
		reads: MODELS,
	},
	{
		name: 'Parameters without a model',
		parameters: gen({ modelParameters: mapped({ seed: 3 }) }),
		message: 'Model Parameters are set (seed) but no Model is chosen',
	},
	{
		name: 'Timeout out of range',
		parameters: gen({ options: { timeout: 0 } }),
		message: 'Timeout must be a number from 1 to 7200 seconds, but it is 0',
	},
	{
		name: 'Callback URL not HTTPS',
		parameters: gen({ options: { callbackUrl: 'http://hooks.example.com/x' } }),
		message: 'Callback URL must use HTTPS, but it starts with "http:"',
	},
	{
		name: 'Callback URL with credentials',
		parameters: gen({ options: { callbackUrl: 'https://u:p@hooks.example.com/x' } }),
		message: 'Callback URL contains a user name or password',
	},
	{
		name: 'Wait Mode unknown',
		parameters: gen({ options: { waitMode: '={{ "push" }}' } }),
		message: 'Wait Mode must be Poll or Webhook, but it is "push"',
	},
	{
		name: 'Wait Mode webhook without a Webhook Secret',
		parameters: gen({ options: { waitMode: 'webhook' } }),
		message: 'Wait Mode "Webhook" needs the Webhook Secret of the Flora API credential',
	},
	{
		name: 'Wait Mode webhook with a Callback URL',
		parameters: gen({
			options: { waitMode: 'webhook', callbackUrl: 'https://hooks.example.com/flora' },
		}),
		message: 'Callback URL cannot be set with Wait Mode "Webhook"',
	},
	{
		name: 'Wait Mode webhook for 51 items',
		parameters: gen({ options: { waitMode: 'webhook' } }),
		items: Array.from({ length: 51 }, (_, i) => ({ json: { i } })),
		message: 'Wait Mode "Webhook" waits for at most 50 items per node run; this run has 51',
		itemIndex: 50,
	},
	{
		name: 'Wait Mode poll and webhook mixed across items',
		parameters: gen({ options: { waitMode: '={{ $json.mode }}' } }),
		items: [{ json: { mode: 'webhook' } }, { json: { mode: 'poll' } }],
		message: 'Item 2 waits by polling, item 1 by webhook: one node run waits one way',
		itemIndex: 1,
	},
	{
		name: 'Idempotency Key too long',
		parameters: gen({ options: { idempotencyKey: 'k'.repeat(256) } }),
		message: 'Idempotency Key is 256 characters long; the most FLORA accepts is 255',
	},
	{
		name: 'Technique empty',
		parameters: techniqueParams(expr(''), {}),
		message: 'Technique is empty',
	},
	{
		name: 'Technique with a space',
		parameters: techniqueParams(expr('tech x'), {}),
		message: 'Technique "tech x" is not a technique ID or slug',
	},
	{
		name: 'Technique unknown',
		parameters: techniqueParams('tech_nope', {}),
		message: 'Technique tech_nope was not found or is not accessible',
		reads: /^\/techniques\/tech_nope$/,
	},
	{
		name: 'Required input missing',
		parameters: variants({ style: 'warm' }),
		message: 'Inputs → Product image is required by technique tech_product_photo_variants',
		reads: TECHNIQUE,
	},
	{
		name: 'Input of another technique',
		parameters: variants({ product_image: 'https://cdn.example.com/a.png', brief: 'x' }),
		message: 'Inputs → "brief" is not an input of technique tech_product_photo_variants',
		reads: TECHNIQUE,
	},
	{
		name: 'Input URL not HTTPS',
		parameters: variants({ product_image: 'http://cdn.example.com/a.png' }),
		message: 'Inputs → Product image must use HTTPS, but it starts with "http:"',
		reads: TECHNIQUE,
	},
	{
		name: 'Input binary field missing',
		parameters: variants({ product_image: 'photo' }),
		items: [imageItem(bytes(10))],
		message: 'This item has no binary field "photo"',
		reads: TECHNIQUE,
	},
	{
		name: 'Input binary of the wrong kind',
		parameters: variants({ product_image: 'data' }),
		items: [imageItem(bytes(10), 'clip.mp4', 'video/mp4')],
		message: 'Inputs → Product image needs an image, but binary field "data" holds video/mp4',
		reads: TECHNIQUE,
	},
	{
		name: 'Input with several values where one is taken',
		parameters: variants({ product_image: '["https://cdn.example.com/a.png","data"]' }),
		message: 'Inputs → Product image takes one value, but it got 2',
		reads: TECHNIQUE,
	},
	{
		name: 'Technique run Project not a project ID',
		parameters: variants({}, { project: locator(expr('prj x')) }),
		message: 'Project "prj x" is not a FLORA project ID',
	},
];

describe('Bad input is refused before any paid request', () => {
	it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
		const result = await runFlora(sim, { parameters: c.parameters, items: c.items });
		expect(result.error?.message).toBe(c.message);
		expect(result.error?.constructor.name).toBe('NodeOperationError');
		expect((result.error as { context?: { itemIndex?: number } }).context?.itemIndex).toBe(
			c.itemIndex ?? 0,
		);
		expect(String((result.error as { description?: string }).description).length).toBeGreaterThan(
			20,
		);
		const sent = sim.record.requests.map((r) => `${r.method} ${r.path}`);
		if (c.reads) {
			expect(sim.record.requests.every((r) => r.method === 'GET' && c.reads!.test(r.path))).toBe(
				true,
			);
			// One read per node run, whatever the number of items.
			expect(sent).toHaveLength(1);
		} else {
			expect(sent).toEqual([]);
		}
		expect(sim.gen.runs()).toEqual([]);
		expect(sim.assets()).toEqual([]);
	});
});
