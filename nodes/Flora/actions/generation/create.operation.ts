import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { fetchModels } from '../../helpers/catalog';
import {
	locatorValue,
	modelLocator,
	projectLocator,
	workspaceLocator,
} from '../../helpers/descriptions';
import type { ItemProgress } from '../../helpers/errors';
import { itemError } from '../../helpers/errors';
import { checkModelParameters, isEmptyValue } from '../../helpers/parameters';
import type { RunBehaviour } from '../../helpers/runs';
import {
	readRunBehaviour,
	runConcurrency,
	runOptions,
	startAndFollowRun,
} from '../../helpers/runs';
import {
	LIMITS,
	optionalText,
	requiredText,
	validateId,
	validateWorkspaceId,
} from '../../helpers/validation';
import type { RunStartRequest } from '../../transport/idempotency';
import { idempotencyKey } from '../../transport/idempotency';
import type { ItemKey } from '../types';
import { GENERATION_TYPES } from '../../helpers/ids';

const properties: INodeProperties[] = [
	{
		...workspaceLocator,
		description:
			'FLORA workspace that runs the generation and pays for it. Pick it from the list, or give its ID (starts with ws_, e.g. ws_abc123).',
	},
	projectLocator({
		name: 'project',
		required: true,
		description:
			'FLORA project (canvas) the result goes into; FLORA requires one for a generation. Its ID starts with prj_. Choose the workspace first to pick from the list.',
	}),
	{
		displayName: 'Type',
		name: 'type',
		type: 'options',
		default: 'image',
		options: [
			{ name: 'Image', value: 'image' },
			{ name: 'Video', value: 'video' },
			{ name: 'Audio', value: 'audio' },
			{ name: 'Text', value: 'text' },
		],
		description: 'What to generate',
	},
	modelLocator,
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		placeholder: 'A ceramic vase on a sunlit table, soft shadows',
		description: 'What to generate, in words',
	},
	{
		displayName: 'Model Parameters',
		name: 'modelParameters',
		type: 'resourceMapper',
		noDataExpression: true,
		default: { mappingMode: 'defineBelow', value: null },
		typeOptions: {
			loadOptionsDependsOn: ['type', 'model.value'],
			resourceMapper: {
				resourceMapperMethod: 'getModelParameters',
				mode: 'add',
				fieldWords: { singular: 'parameter', plural: 'parameters' },
				addAllFields: true,
				supportAutoMap: false,
				noFieldsError:
					"Choose a model to set its parameters; the workspace's default model uses its own defaults.",
			},
		},
		description:
			"The chosen model's own settings (aspect ratio, duration, seed…). Empty fields use the model's defaults.",
	},
	runOptions('generation'),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['generation'], operation: ['create'] } },
	properties,
);

export interface GenerationItem {
	body: IDataObject;
	behaviour: RunBehaviour;
	recovery: RunStartRequest;
}

export const concurrency = runConcurrency;

export function runBehaviour(item: GenerationItem): RunBehaviour {
	return item.behaviour;
}

/** Validates one item, reads the model's parameter schema (free), sends nothing paid. */
export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<GenerationItem> {
	const workspaceId = validateWorkspaceId(
		this,
		itemIndex,
		this.getNodeParameter('workspace', itemIndex, '', { extractValue: true }),
	);
	const projectId = validateId(
		this,
		itemIndex,
		'project',
		'Project',
		locatorValue(this.getNodeParameter('project', itemIndex, '')),
		{
			required: true,
			idLabel: 'Project ID',
			emptyHint:
				'FLORA puts every generation into a project. Pick one from the list, or switch to "ID" and enter a project ID such as prj_abc123.',
		},
	) as string;
	const type = this.getNodeParameter('type', itemIndex, 'image');
	if (typeof type !== 'string' || !(GENERATION_TYPES as readonly string[]).includes(type)) {
		throw itemError(
			this,
			itemIndex,
			`Type must be one of ${GENERATION_TYPES.join(', ')}, but it is ${JSON.stringify(type)}`,
			'Set Type to image, video, audio or text.',
		);
	}
	const model = optionalText(
		this,
		itemIndex,
		'Model',
		locatorValue(this.getNodeParameter('model', itemIndex, '')),
	);
	if (model !== undefined && /\s/.test(model)) {
		throw itemError(
			this,
			itemIndex,
			`Model "${model}" is not a model ID`,
			'A model ID has no spaces (for example flux-1.1-pro). Pick the model from the list, or clear the field to use the workspace default.',
		);
	}
	const prompt = requiredText(
		this,
		itemIndex,
		'Prompt',
		this.getNodeParameter('prompt', itemIndex, ''),
		'Describe what to generate, for example "a ceramic vase on a sunlit table".',
	);
	if (prompt.length > LIMITS.promptLength) {
		throw itemError(
			this,
			itemIndex,
			`Prompt is ${prompt.length} characters long; the most this node sends is ${LIMITS.promptLength}`,
			'Shorten the prompt.',
		);
	}
	const behaviour = readRunBehaviour(this, itemIndex);
	const mapped = this.getNodeParameter('modelParameters', itemIndex, {}) as IDataObject;
	const values = (mapped?.value ?? {}) as IDataObject;
	const given = Object.entries(values ?? {}).filter(([, v]) => !isEmptyValue(v));

	const body: IDataObject = { type, prompt, workspace_id: workspaceId, project_id: projectId };
	if (model !== undefined) {
		body.model = model;
		const params = await modelParameters.call(this, itemIndex, type, model, values);
		if (Object.keys(params).length) body.params = params;
	} else if (given.length) {
		throw itemError(
			this,
			itemIndex,
			`Model Parameters are set (${given.map(([k]) => k).join(', ')}) but no Model is chosen`,
			"Parameters belong to a model: choose the Model they are for, or clear Model Parameters to use the workspace's default model with its own defaults.",
		);
	}
	if (behaviour.callbackUrl) body.callback_url = behaviour.callbackUrl;

	return {
		body,
		behaviour,
		recovery: { runKind: 'generation', workspaceId, projectId, type, model, prompt },
	};
}

/** The Model Parameters checked against the model's schema from `GET /models`. */
async function modelParameters(
	this: IExecuteFunctions,
	itemIndex: number,
	type: string,
	modelId: string,
	values: IDataObject,
): Promise<IDataObject> {
	const models = await fetchModels(this, type, { itemIndex });
	const model = models.find((m) => m.model_id === modelId);
	if (!model) {
		throw itemError(
			this,
			itemIndex,
			`Model "${modelId}" is not a FLORA ${type} model`,
			models.length
				? `FLORA's ${type} models are: ${models.map((m) => m.model_id).join(', ')}. Pick one from the list, check Type, or clear Model to use the workspace default.`
				: `FLORA lists no ${type} models for this key. Clear Model to use the workspace default.`,
		);
	}
	const { params, problems } = checkModelParameters(model, values);
	if (problems.length) {
		const [first] = problems;
		const more =
			problems.length > 1
				? ` Also: ${problems
						.slice(1)
						.map((p) => p.message)
						.join('; ')}.`
				: '';
		throw itemError(this, itemIndex, `Model Parameters → ${first.message}`, `${first.fix}${more}`);
	}
	return params;
}

/** Items sharing a user key must ask for the same generation (checked by the router). */
export function itemKey(item: GenerationItem): ItemKey | undefined {
	if (!item.behaviour.userKey) return undefined;
	return {
		key: item.behaviour.userKey,
		scope: String(item.body.workspace_id),
		request: JSON.stringify(item.body),
	};
}

/** Starts the generation (once, whatever happens to the answer) and waits for it. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	item: GenerationItem,
	progress: ItemProgress,
): Promise<INodeExecutionData[]> {
	const key = idempotencyKey(
		this,
		itemIndex,
		'generate',
		item.behaviour.userKey,
		undefined,
		String(item.body.workspace_id),
	);
	// Known from the request, so both wait modes output them beside FLORA's run.
	const extra: IDataObject = { project_id: item.body.project_id };
	if (item.body.model !== undefined) extra.model = { model_id: item.body.model };
	return [
		await startAndFollowRun.call(
			this,
			itemIndex,
			{
				path: '/generate',
				body: item.body,
				key,
				recovery: item.recovery,
				runAt: '/runs/{run}',
				whereToLook: `Look in project ${String(item.body.project_id)} for it.`,
				notIdentified: () => notIdentified(this, itemIndex, item, key),
			},
			item.behaviour,
			progress,
			extra,
		),
	];
}

function notIdentified(
	context: IExecuteFunctions,
	itemIndex: number,
	item: GenerationItem,
	key: string,
) {
	return itemError(
		context,
		itemIndex,
		'FLORA already started this generation, but the run it started could not be identified',
		`FLORA answered 409 idempotency_duplicate for Idempotency-Key ${key}: an earlier try of this same request was accepted, probably with its answer lost on the way back. No second run was started. Look in project ${String(item.body.project_id)} (workspace ${String(item.body.workspace_id)}) for the ${String(item.body.type)} generated in the last 2 hours, or list runs with Run → Get Many. To start a new run anyway, set Options → Idempotency Key to a new value.`,
	);
}
