import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { getItemBinarySource } from '../../helpers/binary';
import { fetchTechnique } from '../../helpers/catalog';
import {
	locatorValue,
	projectLocator,
	techniqueLocator,
	workspaceLocator,
} from '../../helpers/descriptions';
import type { ItemProgress } from '../../helpers/errors';
import { itemError } from '../../helpers/errors';
import type { FloraTechnique, TechniqueInput } from '../../helpers/parameters';
import { checkTechniqueInputs, MEDIA_INPUT_TYPES } from '../../helpers/parameters';
import type { RunBehaviour } from '../../helpers/runs';
import {
	readRunBehaviour,
	runConcurrency,
	runOptions,
	startAndFollowRun,
} from '../../helpers/runs';
import {
	requiredText,
	validateProjectId,
	validateSourceUrl,
	validateWorkspaceId,
} from '../../helpers/validation';
import { FloraApiError } from '../../transport';
import type { MutationKind, RunStartRequest } from '../../transport/idempotency';
import { idempotencyKey } from '../../transport/idempotency';
import type { UploadSource } from '../../transport/upload';
import { binaryAssetItem, createAsset } from '../asset/create.operation';
import type { ItemKey } from '../types';

const properties: INodeProperties[] = [
	{
		...workspaceLocator,
		description:
			'FLORA workspace that runs the technique and pays for it. Pick it from the list, or give its ID (starts with ws_, e.g. ws_abc123).',
	},
	projectLocator({
		name: 'project',
		description:
			'Optional FLORA project (canvas) the run and its outputs go into; its ID starts with prj_. Choose the workspace first to pick from the list.',
	}),
	techniqueLocator({
		name: 'technique',
		required: true,
		description:
			'The FLORA technique to run. Pick it from the list, or give its ID (starts with tech_) or its slug.',
	}),
	{
		displayName: 'Inputs',
		name: 'inputs',
		type: 'resourceMapper',
		noDataExpression: true,
		default: { mappingMode: 'defineBelow', value: null },
		typeOptions: {
			loadOptionsDependsOn: ['technique.value'],
			resourceMapper: {
				resourceMapperMethod: 'getTechniqueInputs',
				mode: 'add',
				fieldWords: { singular: 'input', plural: 'inputs' },
				addAllFields: true,
				supportAutoMap: false,
				noFieldsError: 'Choose a technique to fill in its inputs.',
			},
		},
		description:
			"The technique's inputs. An image, video, audio or document input takes a public HTTPS URL, or the name of a binary field of the input item (for example data), which is first uploaded to FLORA as an asset.",
	},
	runOptions('technique run'),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['technique'], operation: ['run'] } },
	properties,
);

/** One value of one input: ready to send, or a binary to upload first. */
type PreparedInput =
	| { id: string; type: string; value: string }
	| { id: string; type: string; upload: UploadSource; keyKind: MutationKind };

export interface TechniqueRunItem {
	technique: FloraTechnique;
	workspaceId: string;
	projectId?: string;
	inputs: PreparedInput[];
	behaviour: RunBehaviour;
	recovery: RunStartRequest;
}

export const concurrency = runConcurrency;

export function runBehaviour(item: TechniqueRunItem): RunBehaviour {
	return item.behaviour;
}

// A binary input waits this long to become a ready asset before the run starts.
const INPUT_READY_TIMEOUT_MS = 120_000;

/** Validates one item, reads the technique (free) and its binary inputs; sends nothing paid. */
export async function prepare(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<TechniqueRunItem> {
	const workspaceId = validateWorkspaceId(
		this,
		itemIndex,
		this.getNodeParameter('workspace', itemIndex, '', { extractValue: true }),
	);
	const projectId = validateProjectId(
		this,
		itemIndex,
		'Project',
		locatorValue(this.getNodeParameter('project', itemIndex, '')),
	);
	const techniqueRef = requiredText(
		this,
		itemIndex,
		'Technique',
		locatorValue(this.getNodeParameter('technique', itemIndex, '')),
		'Pick a technique from the list, or switch to "ID or Slug" and enter its ID (such as tech_abc123) or slug.',
	);
	if (/\s/.test(techniqueRef) || techniqueRef.includes('/')) {
		throw itemError(
			this,
			itemIndex,
			`Technique "${techniqueRef}" is not a technique ID or slug`,
			'A technique ID starts with tech_ (for example tech_abc123); a slug is a word such as product-photo-variants. Neither has spaces or slashes.',
		);
	}
	const behaviour = readRunBehaviour(this, itemIndex);
	const mapped = this.getNodeParameter('inputs', itemIndex, {}) as IDataObject;
	const values = (mapped?.value ?? {}) as IDataObject;

	const found = await fetchTechnique(this, techniqueRef, { itemIndex });
	if (!found.ok) {
		if (found.error.status === 404) {
			throw itemError(
				this,
				itemIndex,
				`Technique ${techniqueRef} was not found or is not accessible`,
				"FLORA answers 404 both for techniques that do not exist and for ones outside this API key's workspaces. Pick the technique from the list, or check its ID or slug.",
			);
		}
		throw new FloraApiError(this, found.error, itemIndex);
	}
	const technique = found.technique;
	const { inputs, problems } = checkTechniqueInputs(technique, values);
	if (problems.length) {
		const [first] = problems;
		const more =
			problems.length > 1
				? ` Also: ${problems
						.slice(1)
						.map((p) => p.message)
						.join('; ')}.`
				: '';
		throw itemError(this, itemIndex, `Inputs → ${first.message}`, `${first.fix}${more}`);
	}

	const prepared: PreparedInput[] = [];
	for (const { input, entries } of inputs) {
		const label = `Inputs → ${input.name?.trim() || input.id}`;
		for (let n = 0; n < entries.length; n++) {
			const entry = entries[n];
			if (entry.kind === 'text') {
				prepared.push({ id: input.id, type: input.type, value: entry.value });
			} else if (entry.kind === 'url') {
				const value = validateSourceUrl(this, itemIndex, entry.value, {
					label,
					emptyHint: 'Enter a public HTTPS URL or the name of a binary field.',
					httpsFix:
						'FLORA only fetches public https:// addresses. Host the file on an HTTPS server, or give the name of a binary field of the input item instead: it is uploaded to FLORA first.',
				});
				prepared.push({ id: input.id, type: input.type, value });
			} else {
				const upload = await binaryInput(this, itemIndex, label, input, entry.propertyName);
				const keyKind: MutationKind = `input:${n === 0 ? input.id : `${input.id}.${n}`}:create`;
				prepared.push({ id: input.id, type: input.type, upload, keyKind });
			}
		}
	}
	return {
		technique,
		workspaceId,
		projectId,
		inputs: prepared,
		behaviour,
		recovery: {
			runKind: 'technique',
			workspaceId,
			projectId,
			techniqueId: technique.technique_id,
		},
	};
}

/** A binary field named as a media input, checked to be of the input's kind. */
async function binaryInput(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	input: TechniqueInput,
	propertyName: string,
): Promise<UploadSource> {
	const upload = await getItemBinarySource(context, itemIndex, label, propertyName, {
		contentTypeField: "the binary's MIME type in the node that makes the file",
		fileNameField: "the binary's file name in the node that makes the file",
	});
	const media = MEDIA_INPUT_TYPES[input.type];
	const type = upload.contentType.split(';')[0].trim().toLowerCase();
	if (media && !type.startsWith(media.mimePrefix)) {
		throw itemError(
			context,
			itemIndex,
			`${label} needs ${/^[aeiou]/.test(media.noun) ? 'an' : 'a'} ${media.noun}, but binary field "${propertyName}" holds ${type}`,
			`Give ${label} a binary field with ${media.mimePrefix.endsWith('/') ? `a ${media.mimePrefix}* file` : `a ${media.mimePrefix} file`}, or an HTTPS URL of one.`,
		);
	}
	return upload;
}

/** Items sharing a user key must make the same run (checked by the router). */
export function itemKey(item: TechniqueRunItem): ItemKey | undefined {
	if (!item.behaviour.userKey) return undefined;
	const inputs = item.inputs.map((input) =>
		'upload' in input
			? [input.id, input.upload.fileName, input.upload.contentType, input.upload.size]
			: [input.id, input.value],
	);
	return {
		key: item.behaviour.userKey,
		scope: item.workspaceId,
		request: JSON.stringify([item.technique.technique_id, item.projectId ?? null, inputs]),
	};
}

/** Uploads binary inputs as assets, starts the run (once) and waits for it. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	item: TechniqueRunItem,
	progress: ItemProgress,
): Promise<INodeExecutionData[]> {
	const inputs: IDataObject[] = [];
	const inputAssets: IDataObject = {};
	for (const input of item.inputs) {
		if ('value' in input) {
			inputs.push({ id: input.id, type: input.type, value: input.value });
			continue;
		}
		const asset = await createAsset.call(
			this,
			itemIndex,
			binaryAssetItem({
				workspaceId: item.workspaceId,
				projectId: item.projectId,
				upload: input.upload,
				userKey: item.behaviour.userKey,
				waitTimeoutMs: INPUT_READY_TIMEOUT_MS,
			}),
			{
				keyKind: input.keyKind,
				onReserved: (assetId) => {
					inputAssets[input.id] = assetId;
					progress.input_assets = { ...inputAssets };
				},
			},
		);
		if (typeof asset.url !== 'string' || !asset.url) {
			throw itemError(
				this,
				itemIndex,
				`FLORA gave no URL for asset ${String(asset.asset_id)}, uploaded for input ${input.id}`,
				'The asset is ready but its answer had no url, which the technique needs. Try again later.',
			);
		}
		inputs.push({ id: input.id, type: input.type, value: asset.url });
	}

	const techniqueId = item.technique.technique_id;
	const key = idempotencyKey(
		this,
		itemIndex,
		'technique-run',
		item.behaviour.userKey,
		undefined,
		item.workspaceId,
	);
	const body: IDataObject = {
		workspace_id: item.workspaceId,
		inputs,
		mode: 'async',
		idempotency_key: key,
	};
	if (item.projectId) body.project_id = item.projectId;
	if (item.behaviour.callbackUrl) body.callback_url = item.behaviour.callbackUrl;

	const runsPath = `/techniques/${encodeURIComponent(techniqueId)}/runs`;
	const extra: IDataObject = { technique_id: techniqueId };
	if (Object.keys(inputAssets).length) extra.input_assets = inputAssets;
	return [
		await startAndFollowRun.call(
			this,
			itemIndex,
			{
				path: runsPath,
				body,
				key,
				recovery: item.recovery,
				runAt: `${runsPath}/{run}`,
				whereToLook: `Look at the runs of technique ${techniqueId} in FLORA.`,
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
	item: TechniqueRunItem,
	key: string,
) {
	return itemError(
		context,
		itemIndex,
		'FLORA already started this technique run, but the run it started could not be identified',
		`FLORA answered 409 idempotency_duplicate for Idempotency-Key ${key}: an earlier try of this same request was accepted, probably with its answer lost on the way back. No second run was started. Look at the runs of technique ${item.technique.technique_id} in workspace ${item.workspaceId} from the last 2 hours (Run → Get Many), or in FLORA. To start a new run anyway, set Options → Idempotency Key to a new value.`,
	);
}
