/** The simulator's model catalogue and techniques (shapes from FLORA_API.md, "Beyond assets"). */
import type { OutputType } from './generative-types';

export type ParamType = 'string' | 'string[]' | 'bool' | 'int' | 'int?' | 'seed' | 'float' | 'dict';
export type GenType = 'image' | 'video' | 'audio' | 'text';

export interface ModelParam {
	name: string;
	required: boolean;
	type: ParamType;
	default?: unknown;
	description?: string;
	label?: string;
	min?: number;
	max?: number;
	options?: Array<{ label: string; value: string }>;
}

export interface Model {
	model_id: string;
	name: string;
	provider: string;
	type: GenType;
	capabilities: string[];
	estimated_credits: number;
	estimated_seconds: number;
	beta?: boolean;
	params: ModelParam[];
}

const aspect = (values: string[], def: string): ModelParam => ({
	name: 'aspect_ratio',
	label: 'Aspect ratio',
	required: false,
	type: 'string',
	default: def,
	options: values.map((v) => ({ label: v, value: v })),
});

/** The first model of each type is the workspace default. */
export const MODELS: Model[] = [
	{
		model_id: 'flora-image-1',
		name: 'FLORA Image 1',
		provider: 'flora',
		type: 'image',
		capabilities: ['text-to-image'],
		estimated_credits: 4,
		estimated_seconds: 8,
		params: [
			aspect(['1:1', '4:3', '3:4', '16:9', '9:16'], '1:1'),
			{
				name: 'num_images',
				label: 'Images',
				required: false,
				type: 'int',
				default: 1,
				min: 1,
				max: 4,
				description: 'How many images to generate',
			},
			{ name: 'seed', label: 'Seed', required: false, type: 'seed' },
		],
	},
	{
		model_id: 'flux-1.1-pro',
		name: 'FLUX 1.1 [pro]',
		provider: 'black-forest-labs',
		type: 'image',
		capabilities: ['text-to-image', 'image-to-image'],
		estimated_credits: 6,
		estimated_seconds: 12,
		params: [
			aspect(['1:1', '16:9', '9:16', '3:2', '2:3'], '1:1'),
			{
				name: 'guidance',
				label: 'Guidance',
				required: false,
				type: 'float',
				default: 3.5,
				min: 1.5,
				max: 10,
				description: 'How closely the image follows the prompt',
			},
			{
				name: 'safety_tolerance',
				label: 'Safety tolerance',
				required: false,
				type: 'int?',
				min: 0,
				max: 6,
				description: 'Empty = provider default',
			},
			{ name: 'raw', label: 'Raw mode', required: false, type: 'bool', default: false },
			{ name: 'negative_prompt', label: 'Negative prompt', required: false, type: 'string' },
			{ name: 'seed', label: 'Seed', required: false, type: 'seed' },
		],
	},
	{
		model_id: 'gpt-image-1',
		name: 'GPT Image 1',
		provider: 'openai',
		type: 'image',
		capabilities: ['text-to-image', 'image-editing'],
		estimated_credits: 10,
		estimated_seconds: 30,
		beta: true,
		params: [
			{
				name: 'quality',
				label: 'Quality',
				required: true,
				type: 'string',
				options: [
					{ label: 'Low', value: 'low' },
					{ label: 'Medium', value: 'medium' },
					{ label: 'High', value: 'high' },
				],
			},
			{
				name: 'reference_images',
				label: 'Reference images',
				required: false,
				type: 'string[]',
				description: 'HTTPS URLs of images to follow',
			},
			{
				name: 'provider_options',
				label: 'Provider options',
				required: false,
				type: 'dict',
				description: 'Passed to the provider as is',
			},
		],
	},
	{
		model_id: 'veo-3',
		name: 'Veo 3',
		provider: 'google',
		type: 'video',
		capabilities: ['text-to-video', 'image-to-video', 'audio'],
		estimated_credits: 120,
		estimated_seconds: 90,
		params: [
			aspect(['16:9', '9:16'], '16:9'),
			{
				name: 'duration',
				label: 'Duration (s)',
				required: false,
				type: 'int',
				default: 8,
				min: 4,
				max: 8,
			},
			{ name: 'generate_audio', label: 'Audio', required: false, type: 'bool', default: true },
			{ name: 'start_image', label: 'Start frame', required: false, type: 'string' },
			{ name: 'seed', label: 'Seed', required: false, type: 'seed' },
		],
	},
	{
		model_id: 'kling-2.1',
		name: 'Kling 2.1',
		provider: 'kling',
		type: 'video',
		capabilities: ['image-to-video'],
		estimated_credits: 80,
		estimated_seconds: 120,
		params: [
			{
				name: 'start_image',
				label: 'Start frame',
				required: true,
				type: 'string',
				description: 'HTTPS URL of the first frame',
			},
			{
				name: 'duration',
				label: 'Duration (s)',
				required: false,
				type: 'int',
				default: 5,
				options: [
					{ label: '5 s', value: '5' },
					{ label: '10 s', value: '10' },
				],
			},
		],
	},
	{
		model_id: 'eleven-multilingual-v2',
		name: 'Eleven Multilingual v2',
		provider: 'elevenlabs',
		type: 'audio',
		capabilities: ['text-to-speech'],
		estimated_credits: 2,
		estimated_seconds: 6,
		params: [
			{
				name: 'voice',
				label: 'Voice',
				required: false,
				type: 'string',
				default: 'aria',
				options: [
					{ label: 'Aria', value: 'aria' },
					{ label: 'Roger', value: 'roger' },
					{ label: 'Sarah', value: 'sarah' },
				],
			},
			{
				name: 'stability',
				label: 'Stability',
				required: false,
				type: 'float',
				default: 0.5,
				min: 0,
				max: 1,
			},
		],
	},
	{
		model_id: 'gpt-4o',
		name: 'GPT-4o',
		provider: 'openai',
		type: 'text',
		capabilities: ['text-generation'],
		estimated_credits: 1,
		estimated_seconds: 4,
		params: [
			{
				name: 'temperature',
				label: 'Temperature',
				required: false,
				type: 'float',
				default: 0.7,
				min: 0,
				max: 2,
			},
			{
				name: 'max_tokens',
				label: 'Max tokens',
				required: false,
				type: 'int',
				default: 512,
				min: 1,
				max: 4096,
			},
		],
	},
];

export function defaultModel(type: GenType): Model {
	return MODELS.find((m) => m.type === type)!;
}

/** Validation messages for `params` against a model's schema, keyed `params.<name>`. */
export function paramProblems(
	model: Model,
	params: Record<string, unknown>,
): Array<{ field: string; message: string }> {
	const out: Array<{ field: string; message: string }> = [];
	const byName = new Map(model.params.map((p) => [p.name, p]));
	for (const [k, v] of Object.entries(params)) {
		const p = byName.get(k);
		const field = `params.${k}`;
		if (!p) {
			out.push({ field, message: `Unknown parameter for model ${model.model_id}` });
			continue;
		}
		const problem = valueProblem(p, v);
		if (problem) out.push({ field, message: problem });
	}
	for (const p of model.params) {
		if (p.required && p.default === undefined && params[p.name] === undefined)
			out.push({ field: `params.${p.name}`, message: 'Required' });
	}
	return out;
}

function valueProblem(p: ModelParam, v: unknown): string | undefined {
	const range = (n: number) => {
		if (p.min !== undefined && n < p.min) return `Must be >= ${p.min}`;
		if (p.max !== undefined && n > p.max) return `Must be <= ${p.max}`;
		return undefined;
	};
	const inOptions = (s: string) =>
		p.options && !p.options.some((o) => o.value === s)
			? `Must be one of ${p.options.map((o) => o.value).join(', ')}`
			: undefined;
	switch (p.type) {
		case 'string':
			return typeof v === 'string' ? inOptions(v) : `Expected string, received ${typeOf(v)}`;
		case 'string[]':
			return Array.isArray(v) && v.every((x) => typeof x === 'string')
				? undefined
				: `Expected an array of strings, received ${typeOf(v)}`;
		case 'bool':
			return typeof v === 'boolean' ? undefined : `Expected boolean, received ${typeOf(v)}`;
		case 'int?':
			if (v === null) return undefined;
		// falls through
		case 'int':
			if (typeof v !== 'number' || !Number.isInteger(v))
				return `Expected integer, received ${typeOf(v)}`;
			return range(v) ?? inOptions(String(v));
		case 'seed':
			return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4_294_967_295
				? undefined
				: 'Expected an integer seed between 0 and 4294967295';
		case 'float':
			return typeof v === 'number' && Number.isFinite(v)
				? range(v)
				: `Expected number, received ${typeOf(v)}`;
		case 'dict':
			return v && typeof v === 'object' && !Array.isArray(v)
				? undefined
				: `Expected object, received ${typeOf(v)}`;
	}
	return undefined;
}

function typeOf(v: unknown): string {
	return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

export interface TechniqueIO {
	id: string;
	name: string;
	type: OutputType;
	description?: string;
	optional?: boolean;
	accepts_element?: boolean;
	specified_aspect_ratio?: string;
	specified_duration?: number;
	allow_multiple?: boolean;
}

export interface Technique {
	technique_id: string;
	slug?: string;
	name: string;
	description?: string;
	run_cost: number;
	inputs: TechniqueIO[];
	outputs: TechniqueIO[];
	/** Workspaces that see it; undefined = every workspace. */
	workspaces?: string[];
}

export const TECHNIQUES: Technique[] = [
	{
		technique_id: 'tech_product_photo_variants',
		slug: 'product-photo-variants',
		name: 'Product Photo Variants',
		description: 'Three studio shots of a product photo, optionally steered by style notes.',
		run_cost: 0.12,
		inputs: [
			{
				id: 'product_image',
				name: 'Product image',
				type: 'imageUrl',
				description: 'The product on a plain background',
				accepts_element: true,
			},
			{ id: 'style', name: 'Style notes', type: 'text', optional: true },
		],
		outputs: [1, 2, 3].map((i) => ({
			id: `variant_${i}`,
			name: `Variant ${i}`,
			type: 'imageUrl' as const,
			specified_aspect_ratio: '1:1',
		})),
	},
	{
		technique_id: 'tech_caption_writer',
		slug: 'caption-writer',
		name: 'Caption Writer',
		description: 'A social caption from a brief.',
		run_cost: 0.01,
		inputs: [
			{ id: 'brief', name: 'Brief', type: 'text' },
			{ id: 'tone', name: 'Tone', type: 'text', optional: true },
		],
		outputs: [{ id: 'caption', name: 'Caption', type: 'text' }],
	},
	{
		technique_id: 'tech_video_upscale',
		slug: 'video-upscale-8k',
		name: 'Video Upscale 8K',
		description: 'Upscales a clip to 8K; the output is large.',
		run_cost: 1.5,
		inputs: [{ id: 'clip', name: 'Clip', type: 'videoUrl', specified_duration: 10 }],
		outputs: [{ id: 'upscaled', name: 'Upscaled clip', type: 'videoUrl' }],
	},
	{
		technique_id: 'tech_moodboard_teaser',
		slug: 'moodboard-teaser',
		name: 'Moodboard Teaser',
		description: 'A short teaser video, a voice-over and a one-page brief from moodboard images.',
		run_cost: 0.9,
		inputs: [
			{
				id: 'moodboard',
				name: 'Moodboard images',
				type: 'imageUrl',
				allow_multiple: true,
				accepts_element: true,
			},
			{ id: 'script', name: 'Voice-over script', type: 'text' },
		],
		outputs: [
			{
				id: 'teaser',
				name: 'Teaser',
				type: 'videoUrl',
				specified_aspect_ratio: '16:9',
				specified_duration: 5,
			},
			{ id: 'voiceover', name: 'Voice-over', type: 'audioUrl' },
			{ id: 'brief', name: 'Brief', type: 'documentUrl' },
		],
	},
	{
		technique_id: 'tech_studio_headshots',
		slug: 'studio-headshots',
		name: 'Studio Headshots',
		description: 'Team headshots on the Studio brand backdrop.',
		run_cost: 0.2,
		workspaces: ['ws_studio'],
		inputs: [{ id: 'portrait', name: 'Portrait', type: 'imageUrl' }],
		outputs: [{ id: 'headshot', name: 'Headshot', type: 'imageUrl' }],
	},
];

export function techniqueView(t: Technique) {
	const { workspaces: _w, ...rest } = t;
	return rest;
}
