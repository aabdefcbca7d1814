import type {
	FloraModel,
	FloraTechnique,
	ModelParam,
} from '../../../nodes/Flora/helpers/parameters';
import {
	checkModelParameters,
	checkTechniqueInputs,
	coerceParamValue,
	modelParamsToFields,
	techniqueInputsToFields,
} from '../../../nodes/Flora/helpers/parameters';

const param = (p: Partial<ModelParam> & Pick<ModelParam, 'name' | 'type'>): ModelParam => ({
	required: false,
	...p,
});

const flux: FloraModel = {
	model_id: 'flux-1.1-pro',
	params: [
		param({
			name: 'aspect_ratio',
			label: 'Aspect ratio',
			type: 'string',
			default: '1:1',
			options: [
				{ label: '1:1', value: '1:1' },
				{ label: '16:9', value: '16:9' },
			],
		}),
		param({ name: 'guidance', label: 'Guidance', type: 'float', default: 3.5, min: 1.5, max: 10 }),
		param({ name: 'safety', label: 'Safety', type: 'int?', min: 0, max: 6 }),
		param({ name: 'raw', label: 'Raw mode', type: 'bool', default: false }),
		param({ name: 'seed', label: 'Seed', type: 'seed' }),
		param({ name: 'refs', label: 'Reference images', type: 'string[]' }),
		param({ name: 'extra', label: 'Provider options', type: 'dict' }),
		param({
			name: 'quality',
			label: 'Quality',
			type: 'string',
			required: true,
			options: [
				{ label: 'Low', value: 'low' },
				{ label: 'High', value: 'high' },
			],
		}),
		param({
			name: 'duration',
			label: 'Duration',
			type: 'int',
			default: 5,
			options: [
				{ label: '5 s', value: '5' },
				{ label: '10 s', value: '10' },
			],
		}),
	],
};

describe('Model params → resource-mapper fields', () => {
	const fields = modelParamsToFields(flux.params!);
	const byId = Object.fromEntries(fields.map((f) => [f.id, f]));

	it('keeps FLORA order and names, maps each param type to a field type', () => {
		expect(fields.map((f) => f.id)).toEqual(flux.params!.map((p) => p.name));
		expect(fields.map((f) => f.type)).toEqual([
			'options',
			'number',
			'number',
			'boolean',
			'number',
			'array',
			'object',
			'options',
			'options',
		]);
	});

	it('shows ranges, defaults, options and required marks', () => {
		expect(byId.guidance).toMatchObject({
			displayName: 'Guidance (1.5–10)',
			defaultValue: 3.5,
			required: false,
		});
		expect(byId.seed.displayName).toBe('Seed (0–4294967295)');
		expect(byId.safety.displayName).toBe('Safety (0–6, empty = model default)');
		expect(byId.quality).toMatchObject({
			required: true,
			options: [
				{ name: 'Low', value: 'low' },
				{ name: 'High', value: 'high' },
			],
		});
		expect(byId.aspect_ratio).toMatchObject({ defaultValue: '1:1', displayName: 'Aspect ratio' });
		expect(byId.raw.defaultValue).toBe(false);
		expect(byId.seed.defaultValue).toBeUndefined();
		for (const f of fields) expect(f).toMatchObject({ display: true, canBeUsedToMatch: false });
	});
});

describe('Technique inputs → fields', () => {
	it('takes media as a URL or binary field name, and marks optional inputs', () => {
		const fields = techniqueInputsToFields([
			{ id: 'product_image', name: 'Product image', type: 'imageUrl' },
			{ id: 'style', name: 'Style notes', type: 'text', optional: true },
			{ id: 'board', name: 'Moodboard', type: 'imageUrl', allow_multiple: true },
		]);
		expect(fields).toEqual([
			expect.objectContaining({
				id: 'product_image',
				displayName: 'Product image (image: HTTPS URL or input binary field name)',
				required: true,
				type: 'string',
			}),
			expect.objectContaining({ id: 'style', displayName: 'Style notes', required: false }),
			expect.objectContaining({
				displayName:
					'Moodboard (image: HTTPS URL or input binary field name; several allowed: a list)',
			}),
		]);
	});
});

describe('Parameter values: checked and converted', () => {
	const p = (name: string) => flux.params!.find((x) => x.name === name)!;
	it.each([
		['guidance', '4.5', 4.5],
		['guidance', 2, 2],
		['safety', '3', 3],
		['raw', 'true', true],
		['raw', false, false],
		['seed', '42', 42],
		['seed', 4294967295, 4294967295],
		['refs', '["https://a.example/1.png"]', ['https://a.example/1.png']],
		['refs', 'https://a.example/1.png', ['https://a.example/1.png']],
		['extra', '{"style":"raw"}', { style: 'raw' }],
		['extra', { style: 'raw' }, { style: 'raw' }],
		['aspect_ratio', '16:9', '16:9'],
		['duration', '10', 10],
		['duration', 5, 5],
	])('%s = %j → %j', (name, value, expected) => {
		expect(coerceParamValue(p(name), value)).toEqual({ ok: true, value: expected });
	});

	it.each([
		['guidance', 12, 'Guidance must be 1.5–10, but it is 12'],
		['guidance', 'strong', 'Guidance must be a number, but it is "strong"'],
		['safety', 2.5, 'Safety must be a whole number, but it is 2.5'],
		['seed', -1, 'Seed must be 0–4294967295, but it is -1'],
		['raw', 'yes', 'Raw mode must be true or false, but it is "yes"'],
		['refs', [1, 2], 'Reference images must be a list of texts, but it is a list'],
		['extra', '[1]', 'Provider options must be a JSON object, but it is "[1]"'],
		['aspect_ratio', '2:1', 'Aspect ratio must be one of 1:1, 16:9, but it is "2:1"'],
		['aspect_ratio', { a: 1 }, 'Aspect ratio must be text, but it is an object'],
		['duration', 7, 'Duration must be one of 5, 10, but it is 7'],
	])('%s = %j is refused', (name, value, problem) => {
		const result = coerceParamValue(p(name), value);
		expect(result).toMatchObject({ ok: false, problem });
		expect((result as { fix: string }).fix.length).toBeGreaterThan(10);
	});
});

describe('checkModelParameters', () => {
	it('sends only what was set, converted, and leaves empty fields to the model', () => {
		expect(
			checkModelParameters(flux, {
				quality: 'high',
				guidance: '5',
				seed: '',
				safety: null,
				raw: 'false',
			}),
		).toEqual({ params: { quality: 'high', guidance: 5, raw: false }, problems: [] });
	});

	it('refuses a parameter of another model, naming the ones this model takes', () => {
		const { problems } = checkModelParameters(flux, { quality: 'low', num_images: 2 });
		expect(problems).toEqual([
			{
				message: '"num_images" is not a parameter of model flux-1.1-pro',
				fix: expect.stringContaining('aspect_ratio, guidance, safety'),
			},
		]);
	});

	it('requires required parameters without a default', () => {
		expect(checkModelParameters(flux, {}).problems).toEqual([
			{
				message: 'Quality is required by model flux-1.1-pro',
				fix: 'Set Quality in Model Parameters (one of low, high).',
			},
		]);
	});

	it('reports a wrong required value once, not also as missing', () => {
		const { problems } = checkModelParameters(flux, { quality: 'ultra' });
		expect(problems.map((p) => p.message)).toEqual([
			'Quality must be one of low, high, but it is "ultra"',
		]);
	});
});

describe('checkTechniqueInputs', () => {
	const technique: FloraTechnique = {
		technique_id: 'tech_variants',
		inputs: [
			{ id: 'product_image', name: 'Product image', type: 'imageUrl' },
			{ id: 'style', name: 'Style notes', type: 'text', optional: true },
			{ id: 'board', name: 'Moodboard', type: 'imageUrl', allow_multiple: true, optional: true },
		],
	};

	it('tells URLs from binary field names and keeps text as text', () => {
		expect(
			checkTechniqueInputs(technique, {
				product_image: 'https://cdn.example.com/p.png',
				style: 'studio light',
				board: '["data", "https://cdn.example.com/b.png"]',
			}),
		).toEqual({
			inputs: [
				{
					input: technique.inputs![0],
					entries: [{ kind: 'url', value: 'https://cdn.example.com/p.png' }],
				},
				{ input: technique.inputs![1], entries: [{ kind: 'text', value: 'studio light' }] },
				{
					input: technique.inputs![2],
					entries: [
						{ kind: 'binary', propertyName: 'data' },
						{ kind: 'url', value: 'https://cdn.example.com/b.png' },
					],
				},
			],
			problems: [],
		});
	});

	it('refuses unknown inputs, several values for a single input, and missing required ones', () => {
		expect(checkTechniqueInputs(technique, { colour: 'red' }).problems).toEqual([
			expect.objectContaining({ message: '"colour" is not an input of technique tech_variants' }),
			expect.objectContaining({ message: 'Product image is required by technique tech_variants' }),
		]);
		expect(checkTechniqueInputs(technique, { product_image: ['data', 'data_1'] }).problems).toEqual(
			[expect.objectContaining({ message: 'Product image takes one value, but it got 2' })],
		);
		expect(checkTechniqueInputs(technique, { product_image: { a: 1 } }).problems).toEqual([
			expect.objectContaining({ message: 'Product image must be text, but it is an object' }),
		]);
	});
});
