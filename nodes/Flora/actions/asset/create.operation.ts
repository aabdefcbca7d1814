import { createHash, randomUUID } from 'crypto';
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import {
	idempotencyKeyOption,
	locatorValue,
	projectLocator,
	workspaceLocator,
} from '../../helpers/descriptions';
import { getItemBinarySource } from '../../helpers/binary';
import { FloraCancelledError, itemError } from '../../helpers/errors';
import type { ItemProgress } from '../../helpers/errors';
import {
	LIMITS,
	optionalText,
	validateContentType,
	validateIdempotencyKey,
	validateNumberInRange,
	validateProjectId,
	validateSourceUrl,
	validateWorkspaceId,
} from '../../helpers/validation';
import { waitFor } from '../../helpers/wait';
import type { FloraErrorDetails } from '../../transport';
import {
	cancelSignalOf,
	FloraApiError,
	floraApiRequest,
	floraApiTryRequest,
} from '../../transport';
import type { MutationKind } from '../../transport/idempotency';
import {
	idempotencyKey,
	nodeRunAnchor,
	recallCreated,
	recoverCreatedAsset,
	rememberCompleted,
	rememberCreated,
	wasCompleted,
} from '../../transport/idempotency';
import type { UploadForm, UploadSource } from '../../transport/upload';
import {
	openMultipart,
	readUploadForm,
	sendToUploadHost,
	UploadFailedError,
} from '../../transport/upload';

const properties: INodeProperties[] = [
	workspaceLocator,
	{
		displayName: 'Source',
		name: 'source',
		type: 'options',
		noDataExpression: true,
		default: 'binary',
		options: [
			{
				name: 'Binary File',
				value: 'binary',
				description:
					'Upload a file from an earlier node (image, video, audio or PDF). Not available when an AI agent calls this node: use URL there.',
			},
			{
				name: 'URL',
				value: 'url',
				description:
					'FLORA downloads a public HTTPS file itself (up to 50 MB); the source to use from an AI agent',
			},
			{
				name: 'Reserve Upload URL Only',
				value: 'signedUrl',
				description:
					'Create the asset and return a one-time upload form, for another system to upload the file',
			},
		],
		description: 'Where the file comes from',
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		displayOptions: { show: { source: ['binary'] } },
		hint: 'The name of the input field holding the file',
		description:
			'The binary property of the input item to upload. Images up to 150 MP, video, audio and PDF; streamed, so large files are fine.',
	},
	{
		displayName: 'URL',
		name: 'url',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/image.png',
		displayOptions: { show: { source: ['url'] } },
		description:
			'Public HTTPS address FLORA downloads the file from (up to 50 MB). Private, local and http:// addresses are refused.',
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		options: [
			{
				displayName: 'Content Type',
				name: 'contentType',
				type: 'string',
				default: '',
				placeholder: 'image/png',
				description:
					"MIME type of the file; defaults to the binary data's own. FLORA accepts image/jpeg, png, webp, gif, avif, heic, heif; video/mp4, webm, quicktime; audio/mpeg, wav, ogg; application/pdf.",
			},
			{
				displayName: 'File Name',
				name: 'fileName',
				type: 'string',
				default: '',
				placeholder: 'hero.png',
				description:
					"Name the asset gets in FLORA, with its extension; defaults to the binary data's own file name",
			},
			{
				displayName: 'Folder',
				name: 'folder',
				type: 'string',
				default: '',
				placeholder: 'campaign-assets',
				description: 'Destination folder in the workspace',
			},
			projectLocator({
				name: 'projectId',
				description: 'Attach the asset to this FLORA project',
			}),
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				default: 2,
				typeOptions: { minValue: LIMITS.concurrency.min, maxValue: LIMITS.concurrency.max },
				description:
					'How many items are uploaded at the same time. FLORA advises 2 to 4; a rate limit slows all items down together.',
			},
			idempotencyKeyOption('asset'),
			{
				displayName: 'Single-Request Upload for Small Files',
				name: 'directUpload',
				type: 'boolean',
				default: true,
				displayOptions: { show: { '/source': ['binary'] } },
				description:
					"Whether to send files of 4 MB (4,194,304 bytes) or less to FLORA in one request. Turn off to always use FLORA's signed upload (reserve, upload, complete).",
			},
			{
				displayName: 'Wait for Ready',
				name: 'waitForReady',
				type: 'boolean',
				default: true,
				hint: 'Turn off to return as soon as FLORA accepted the file; its status may then still be pending_upload',
				description:
					'Whether to wait until FLORA has processed the asset (status ready or failed) before returning it',
			},
			{
				displayName: 'Wait Timeout (Seconds)',
				name: 'waitTimeout',
				type: 'number',
				default: 120,
				typeOptions: { minValue: LIMITS.waitTimeout.min, maxValue: LIMITS.waitTimeout.max },
				description:
					'With Wait for Ready on: how long (1–3600 seconds) to wait for the asset to become ready before failing the item',
			},
		],
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['asset'], operation: ['create'] } },
	properties,
);

type Source = 'binary' | 'url' | 'signedUrl';

export interface CreateItem {
	source: Source;
	body: IDataObject;
	userKey?: string;
	waitForReady: boolean;
	waitTimeoutMs: number;
	upload?: UploadSource;
	/**
	 * Send the binary in one multipart `POST /assets` (it is small enough and
	 * the user did not turn it off); FLORA's signed upload when refused.
	 */
	direct?: boolean;
	/** The input item's binary data, passed through to the output unchanged. */
	binary?: INodeExecutionData['binary'];
}

/** Items in flight at once (Options → Concurrency), validated before any request. */
export function concurrency(this: IExecuteFunctions): number {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	return Math.floor(
		validateNumberInRange(this, 0, 'Concurrency', options.concurrency ?? 2, LIMITS.concurrency),
	);
}

/** Validates one item and gathers what its requests need; sends nothing. */
export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<CreateItem> {
	const workspaceId = validateWorkspaceId(
		this,
		itemIndex,
		this.getNodeParameter('workspace', itemIndex, '', { extractValue: true }),
	);
	const source = this.getNodeParameter('source', itemIndex) as Source;
	const item = this.getInputData()[itemIndex];
	const fields = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;

	let contentType = optionalText(this, itemIndex, 'Content Type', fields.contentType);
	let fileName = optionalText(this, itemIndex, 'File Name', fields.fileName);
	const folder = optionalText(this, itemIndex, 'Folder', fields.folder);
	const projectId = validateProjectId(this, itemIndex, 'Project', locatorValue(fields.projectId));
	const userKey = validateIdempotencyKey(this, itemIndex, options.idempotencyKey);
	const waitForReady = options.waitForReady !== false;
	const waitTimeout = validateNumberInRange(
		this,
		itemIndex,
		'Wait Timeout',
		options.waitTimeout ?? 120,
		LIMITS.waitTimeout,
		' seconds',
	);

	let sourceValue = 'signed-url';
	let upload: UploadSource | undefined;
	if (source === 'url') {
		sourceValue = validateSourceUrl(this, itemIndex, this.getNodeParameter('url', itemIndex));
	} else if (source === 'binary') {
		upload = await getItemBinarySource(
			this,
			itemIndex,
			'Input Binary Field',
			this.getNodeParameter('binaryPropertyName', itemIndex),
			{
				contentType,
				fileName,
				contentTypeField: 'Additional Fields → Content Type',
				fileNameField: 'Additional Fields → File Name',
			},
		);
		contentType = upload.contentType;
		fileName = upload.fileName;
	}
	if (source !== 'binary') validateContentType(this, itemIndex, contentType, false);

	const body: IDataObject = { source: sourceValue, workspace_id: workspaceId };
	if (contentType) body.content_type = contentType;
	if (fileName) body.file_name = fileName;
	if (folder) body.folder = folder;
	if (projectId) body.project_id = projectId;

	return {
		source,
		body,
		userKey,
		waitForReady,
		waitTimeoutMs: waitTimeout * 1000,
		upload,
		direct: upload !== undefined && options.directUpload !== false && fitsDirect(upload),
		binary: item?.binary,
	};
}

/**
 * The largest file sent in one request: FLORA stores up to 4 MB that way, the
 * limit its SDK uses (4 × 1024 × 1024 bytes, the file itself, not the request).
 */
export const DIRECT_MAX_BYTES = 4 * 1024 * 1024;

function fitsDirect(upload: UploadSource): boolean {
	return upload.size <= DIRECT_MAX_BYTES;
}

// How many fresh upload forms one item may use before it gives up.
const MAX_UPLOAD_ATTEMPTS = 3;
// A form this close to its expiry is renewed before use: a large file may take
// minutes on the wire, and the host checks expiry when the request arrives.
const EXPIRY_MARGIN_MS = 60_000;
const POLL_SCHEDULE_MS = [250, 500, 1000];
const POLL_MAX_MS = 2000;

/** The key and request of an item, so items sharing a user key are caught before any request. */
export function itemKey(item: CreateItem) {
	if (!item.userKey) return undefined;
	const { upload } = item;
	return {
		key: item.userKey,
		scope: String(item.body.workspace_id),
		request: JSON.stringify([
			item.source,
			item.body,
			upload ? [upload.fileName, upload.contentType, upload.size] : null,
		]),
	};
}

/** Creates one asset: reserve, upload, complete, wait for ready. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateItem,
	progress: ItemProgress,
): Promise<INodeExecutionData[]> {
	const asset = await createAsset.call(this, itemIndex, item, {
		onReserved: (assetId) => {
			progress.asset_id = assetId;
		},
	});
	return [{ json: asset, binary: item.binary }];
}

/** An upload of an item's binary as a new asset, e.g. a technique's media input. */
export function binaryAssetItem(args: {
	workspaceId: string;
	projectId?: string;
	upload: UploadSource;
	userKey?: string;
	waitTimeoutMs: number;
}): CreateItem {
	const body: IDataObject = {
		source: 'signed-url',
		workspace_id: args.workspaceId,
		content_type: args.upload.contentType,
		file_name: args.upload.fileName,
	};
	if (args.projectId) body.project_id = args.projectId;
	return {
		source: 'binary',
		body,
		userKey: args.userKey,
		waitForReady: true,
		waitTimeoutMs: args.waitTimeoutMs,
		upload: args.upload,
		direct: fitsDirect(args.upload),
	};
}

/**
 * The whole life of one asset create: reserve (recovering a lost answer),
 * upload the bytes with fresh forms as needed, complete, and wait for ready.
 * Returns the asset as FLORA last reported it; a failed asset is an error.
 * `keyKind` scopes the Idempotency-Key, so one item can create several assets.
 */
export async function createAsset(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateItem,
	options: { keyKind?: MutationKind; onReserved?: (assetId: string) => void } = {},
): Promise<IDataObject> {
	const scope = String(item.body.workspace_id);
	const kind = options.keyKind ?? 'create';
	const createKey = idempotencyKey(this, itemIndex, kind, item.userKey, undefined, scope);
	if (item.direct && item.upload) {
		// Its own key: a refused direct request must never block the signed
		// reservation, whatever FLORA remembers of refused requests.
		const directKey = idempotencyKey(
			this,
			itemIndex,
			`${kind}-direct`,
			item.userKey,
			undefined,
			scope,
		);
		const created = await createDirect.call(this, itemIndex, item, directKey, createKey);
		if (created) {
			options.onReserved?.(String(created.asset_id));
			return await finish.call(this, itemIndex, item, created);
		}
	}
	const reservation = await reserve.call(this, itemIndex, item, createKey, Date.now());
	const assetId = String(reservation.asset_id);
	options.onReserved?.(assetId);

	if (item.source === 'signedUrl') return reservation;

	let asset = reservation;
	let uploaded = reservation.status === 'ready' || wasCompleted(assetId);
	if (
		!uploaded &&
		item.source === 'binary' &&
		reservation.status === 'pending_upload' &&
		foundAgain.has(reservation)
	) {
		// Found again, made by another process or an earlier execution: its upload may
		// already be in. Completing tells: FLORA refuses it when nothing was uploaded.
		const completed = await completeIfUploaded.call(this, itemIndex, item, assetId, scope);
		if (completed) {
			asset = completed;
			uploaded = true;
		}
	}
	if (item.source === 'binary' && item.upload && !uploaded) {
		const form = await uploadWithFreshForms.call(this, itemIndex, item, reservation, scope);
		asset = await complete.call(this, itemIndex, item, assetId, form, scope);
	}
	return await finish.call(this, itemIndex, item, asset);
}

/** With Wait for Ready, the asset once FLORA has processed it; a failed asset is an error. */
async function finish(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateItem,
	reported: IDataObject,
): Promise<IDataObject> {
	let asset = reported;
	if (item.waitForReady && asset.status !== 'ready') {
		asset = await waitUntilReady.call(this, itemIndex, String(asset.asset_id), item.waitTimeoutMs);
	}
	if (asset.status === 'failed') throw assetFailed(this, itemIndex, asset);
	return asset;
}

// The direct form's fields, in the order FLORA's SDK sends them; the file follows.
const DIRECT_FIELDS = ['workspace_id', 'folder', 'project_id', 'content_type', 'file_name'];

/**
 * Whether FLORA turned down the direct form itself, so the signed upload may
 * carry the item instead; nothing was created either way. `form`: this FLORA
 * (or a proxy in front) does not take the direct form, remembered for the rest
 * of the node run. `item`: this file is too large for it, for this item only.
 * Anything else (a bad field, a missing workspace, credits, rate limits) is the
 * item's error, as the signed upload would meet it too.
 */
export function directRefusal(error: FloraErrorDetails): 'form' | 'item' | undefined {
	const fields = error.fields.map((f) => f.field);
	switch (error.status) {
		case 405: // the route takes no POST of this kind
		case 415: // unsupported media type: no multipart here
		case 501:
			return 'form';
		case 404:
			// FLORA's own 404 for a workspace or project it cannot see is not about the form.
			return /workspace|project/i.test(error.message) ||
				fields.some((f) => f === 'workspace_id' || f === 'project_id')
				? undefined
				: 'form';
		case 413:
			return 'item';
		case 400: {
			// FLORA read the body as the JSON create: invalid JSON, or `source` (which
			// the direct form leaves out) required; or it found no file part.
			if (error.code === 'invalid_json' || error.code === 'unsupported_media_type') return 'form';
			const file = error.fields.filter((f) => f.field === 'file');
			if (file.some((f) => /large|exceed|size|limit|bytes/i.test(f.message))) return 'item';
			if (file.length || fields.some((f) => f === 'source' || f === 'body')) return 'form';
			if (!fields.length && /multipart|form-data|\bjson\b/i.test(error.message)) return 'form';
			return undefined;
		}
		default:
			return undefined;
	}
}

type DirectState = 'untried' | 'probing' | 'accepted' | 'refused';

/** What this node run learnt about FLORA's direct form, shared by its items in flight. */
interface DirectGate {
	state: DirectState;
	/** Settles when the probing item's answer is in. */
	probe?: Promise<void>;
	release?: () => void;
}

const directGates = new WeakMap<object, DirectGate>();

function directGate(context: IExecuteFunctions): DirectGate {
	const anchor = nodeRunAnchor(context);
	let gate = directGates.get(anchor);
	if (!gate) {
		gate = { state: 'untried' };
		directGates.set(anchor, gate);
	}
	return gate;
}

/**
 * Whether this item may try the direct form. The first item of a node run tries
 * it alone; the others wait for its answer, so a refusal costs one request, not
 * one per item in flight. Gives back whether this item is that probe.
 */
async function enterDirect(gate: DirectGate): Promise<{ allowed: boolean; probe: boolean }> {
	for (;;) {
		if (gate.state === 'accepted') return { allowed: true, probe: false };
		if (gate.state === 'refused') return { allowed: false, probe: false };
		if (gate.state === 'untried') {
			gate.state = 'probing';
			gate.probe = new Promise<void>((resolve) => {
				gate.release = resolve;
			});
			return { allowed: true, probe: true };
		}
		await gate.probe;
	}
}

function leaveDirect(gate: DirectGate, probe: boolean, learnt: 'accepted' | 'refused' | 'unknown') {
	if (learnt === 'refused') gate.state = 'refused';
	else if (learnt === 'accepted' && gate.state !== 'refused') gate.state = 'accepted';
	else if (probe && gate.state === 'probing') gate.state = 'untried';
	if (probe) gate.release?.();
}

/**
 * One multipart `POST /assets` that stores the file and answers the asset:
 * undefined when the signed upload is to carry this item instead (FLORA
 * refused the direct form, or this item's signed upload already began).
 */
async function createDirect(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateItem,
	directKey: string,
	signedKey: string,
): Promise<IDataObject | undefined> {
	// Under Retry On Fail an item resumes the way it went the first time.
	const begun = recallCreated(directKey) !== undefined;
	if (!begun && recallCreated(signedKey) !== undefined) return undefined;
	const gate = directGate(this);
	const entry = begun ? { allowed: true, probe: false } : await enterDirect(gate);
	if (!entry.allowed) return undefined;

	const upload = item.upload as UploadSource;
	const fields: Array<[string, string]> = [];
	for (const name of DIRECT_FIELDS) {
		const value = item.body[name];
		if (typeof value === 'string' && value !== '') fields.push([name, value]);
	}
	const startedAt = Date.now();
	let learnt: 'accepted' | 'refused' | 'unknown' = 'unknown';
	try {
		const outcome = await floraApiTryRequest
			.call(this, {
				method: 'POST',
				path: '/assets',
				multipart: async () => await openMultipart(fields, 'file', upload),
				idempotencyKey: directKey,
				itemIndex,
			})
			.catch((error: unknown): never => {
				// The file itself is broken: named here, as the signed upload names it.
				throw error instanceof UploadFailedError
					? itemError(
							this,
							itemIndex,
							`The upload of "${upload.fileName}" failed: ${error.message}`,
						)
					: error;
			});
		if (outcome.ok) {
			learnt = 'accepted';
			rememberCreated(directKey, assetIdOf(this, itemIndex, outcome.body, 'POST /assets'));
			return outcome.body;
		}
		const refusal = directRefusal(outcome.error);
		if (refusal) {
			if (refusal === 'form') learnt = 'refused';
			return undefined;
		}
		if (outcome.error.code !== 'idempotency_duplicate') {
			throw new FloraApiError(this, outcome.error, itemIndex);
		}
		// An earlier try of this request was stored, its answer lost: find that asset.
		learnt = 'accepted';
		const recovered = await recoverCreatedAsset.call(
			this,
			itemIndex,
			{ source: 'binary', body: item.body, via: 'direct' },
			directKey,
			startedAt,
			{ stableKey: item.userKey !== undefined },
		);
		if (recovered) {
			rememberCreated(directKey, assetIdOf(this, itemIndex, recovered, 'GET /assets/{id}'));
			return recovered;
		}
		throw itemError(
			this,
			itemIndex,
			'FLORA already accepted this create request, but the asset it made could not be identified',
			`FLORA answered 409 idempotency_duplicate for Idempotency-Key ${directKey}: an earlier try of this same request was accepted, probably with its answer lost on the way back. Nothing new was created. Look in workspace ${String(item.body.workspace_id)} for an asset named "${String(item.body.file_name)}" created in the last 2 hours; to create a new one anyway, set Options → Idempotency Key to a new value.`,
		);
	} finally {
		leaveDirect(gate, entry.probe, learnt);
	}
}

/** An answer that should describe an asset but has no asset_id (a proxy's page, say). */
function assetIdOf(
	context: IExecuteFunctions,
	itemIndex: number,
	body: IDataObject,
	call: string,
): string {
	const assetId = body.asset_id;
	if (typeof assetId === 'string' && assetId) return assetId;
	throw itemError(
		context,
		itemIndex,
		`FLORA's answer to ${call} has no asset_id`,
		'The answer did not come from the FLORA API as expected; check the Base URL of the Flora API credential (https://app.flora.ai/api/v1) and any proxy in between. Nothing else was sent for this item.',
	);
}

/** POST /assets, or, after a lost answer, the asset that FLORA already made for this key. */
async function reserve(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateItem,
	key: string,
	startedAt: number,
): Promise<IDataObject> {
	const outcome = await floraApiTryRequest.call(this, {
		method: 'POST',
		path: '/assets',
		body: item.body,
		idempotencyKey: key,
		itemIndex,
	});
	if (outcome.ok) {
		rememberCreated(key, assetIdOf(this, itemIndex, outcome.body, 'POST /assets'));
		return outcome.body;
	}
	if (outcome.error.code !== 'idempotency_duplicate') {
		throw new FloraApiError(this, outcome.error, itemIndex);
	}
	const remembered = recallCreated(key) !== undefined;
	const recovered = await recoverCreatedAsset.call(this, itemIndex, item, key, startedAt, {
		stableKey: item.userKey !== undefined,
	});
	if (recovered) {
		rememberCreated(key, assetIdOf(this, itemIndex, recovered, 'GET /assets/{id}'));
		// Only a user key's asset may come from an earlier execution or another process.
		if (!remembered && item.userKey !== undefined) foundAgain.add(recovered);
		return recovered;
	}
	throw itemError(
		this,
		itemIndex,
		'FLORA already accepted this create request, but the asset it made could not be identified',
		`FLORA answered 409 idempotency_duplicate for Idempotency-Key ${key}: an earlier try of this same request was accepted, probably with its answer lost on the way back. Nothing new was created. Look in workspace ${String(item.body.workspace_id)} for an asset named "${String(item.body.file_name ?? item.body.source)}" created in the last 2 hours; to create a new one anyway, set Options → Idempotency Key to a new value.`,
	);
}

/** A fresh single-use upload form from POST /assets/{id}/retry. */
async function freshForm(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateItem,
	assetId: string,
	scope: string,
): Promise<UploadForm> {
	// Each request for a form gets a key of its own: a rerun of the node must not
	// collide with the forms an earlier run asked for. A lost answer that comes
	// back as 409 only means that form is gone; ask once more with a new key.
	for (let request = 1; ; request++) {
		const outcome = await floraApiTryRequest.call(this, {
			method: 'POST',
			path: `/assets/${encodeURIComponent(assetId)}/retry`,
			idempotencyKey: idempotencyKey(
				this,
				itemIndex,
				`retry-${randomUUID()}`,
				item.userKey,
				assetId,
				scope,
			),
			itemIndex,
		});
		if (!outcome.ok) {
			if (outcome.error.code === 'idempotency_duplicate' && request < 2) continue;
			throw new FloraApiError(this, outcome.error, itemIndex);
		}
		const form = readUploadForm(outcome.body);
		if (!form) {
			throw itemError(
				this,
				itemIndex,
				`FLORA issued no upload form for asset ${assetId}`,
				'The answer to POST /assets/{id}/retry had neither upload nor upload_url. Try again later.',
			);
		}
		return form;
	}
}

/**
 * Uploads the bytes; each failure or expiry gets a fresh single-use form from
 * /retry. Gives back the form the host accepted.
 */
async function uploadWithFreshForms(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateItem,
	reservation: IDataObject,
	scope: string,
): Promise<UploadForm> {
	const assetId = String(reservation.asset_id);
	const signal = cancelSignalOf(this);
	let form: UploadForm | undefined = readUploadForm(reservation);
	let lastError: UploadFailedError | undefined;

	for (let attempt = 1; attempt <= MAX_UPLOAD_ATTEMPTS; attempt++) {
		if (!form || (form.expiresAt !== undefined && form.expiresAt - Date.now() < EXPIRY_MARGIN_MS)) {
			form = await freshForm.call(this, itemIndex, item, assetId, scope);
		}
		const failure = await sendToUploadHost
			.call(this, form, item.upload as UploadSource, signal)
			.then(
				() => undefined,
				(error: unknown) => error,
			);
		if (failure === undefined) return form;
		if (signal?.aborted) throw new FloraCancelledError();
		if (!(failure instanceof UploadFailedError) || !failure.retryable) {
			throw itemError(
				this,
				itemIndex,
				`The upload of asset ${assetId} failed: ${(failure as Error).message}`,
				failure instanceof UploadFailedError && failure.statusCode !== undefined
					? 'The upload host refused this file; a fresh form would not change that. Check the file against your FLORA plan (size limit, allowed types). The asset stays pending in FLORA.'
					: undefined,
			);
		}
		lastError = failure;
		// The form is single-use even when the try failed.
		form = undefined;
	}
	throw itemError(
		this,
		itemIndex,
		`The upload of asset ${assetId} failed ${MAX_UPLOAD_ATTEMPTS} times`,
		`Last error: ${lastError?.message ?? 'unknown'}. The asset stays pending in FLORA; run the node again to retry.`,
	);
}

/** Tells FLORA the upload on `form` is done. The key belongs to that upload, not to the asset. */
async function complete(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateItem,
	assetId: string,
	form: UploadForm,
	scope: string,
): Promise<IDataObject> {
	const path = `/assets/${encodeURIComponent(assetId)}`;
	const outcome = await floraApiTryRequest.call(this, {
		method: 'POST',
		path: `${path}/complete`,
		idempotencyKey: idempotencyKey(
			this,
			itemIndex,
			`complete-${formId(form)}`,
			item.userKey,
			assetId,
			scope,
		),
		itemIndex,
	});
	if (outcome.ok) {
		rememberCompleted(assetId);
		return outcome.body;
	}
	// An earlier try of this same call completed it and its answer was lost: read the asset instead.
	if (outcome.error.code === 'idempotency_duplicate') {
		rememberCompleted(assetId);
		return await floraApiRequest.call(this, { method: 'GET', path, itemIndex });
	}
	throw new FloraApiError(this, outcome.error, itemIndex);
}

/**
 * POST /complete for an asset found again whose upload may already be in: the
 * asset when FLORA accepts, undefined when FLORA answers that no upload arrived.
 */
async function completeIfUploaded(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateItem,
	assetId: string,
	scope: string,
): Promise<IDataObject | undefined> {
	const outcome = await floraApiTryRequest.call(this, {
		method: 'POST',
		path: `/assets/${encodeURIComponent(assetId)}/complete`,
		idempotencyKey: idempotencyKey(
			this,
			itemIndex,
			`complete-found-${randomUUID()}`,
			item.userKey,
			assetId,
			scope,
		),
		itemIndex,
	});
	if (outcome.ok) {
		rememberCompleted(assetId);
		return outcome.body;
	}
	if (outcome.error.status === 400 || outcome.error.status === 409) return undefined;
	throw new FloraApiError(this, outcome.error, itemIndex);
}

// Assets that reserve() found by searching, not ones this process made.
const foundAgain = new WeakSet<IDataObject>();

/** Names one issued form: its target and fields (which carry its single-use token). */
function formId(form: UploadForm): string {
	return createHash('sha256')
		.update(JSON.stringify([form.method, form.url, form.fields]))
		.digest('hex')
		.slice(0, 16);
}

async function waitUntilReady(
	this: IExecuteFunctions,
	itemIndex: number,
	assetId: string,
	timeoutMs: number,
): Promise<IDataObject> {
	const signal = cancelSignalOf(this);
	const deadline = Date.now() + timeoutMs;
	for (let poll = 0; ; poll++) {
		const asset = await floraApiRequest.call(this, {
			method: 'GET',
			path: `/assets/${encodeURIComponent(assetId)}`,
			itemIndex,
		});
		if (asset.status === 'ready' || asset.status === 'failed') return asset;
		const left = deadline - Date.now();
		if (left <= 0) {
			throw itemError(
				this,
				itemIndex,
				`Asset ${assetId} was not ready after ${Math.round(timeoutMs / 1000)} seconds (last status: ${String(asset.status)})`,
				'FLORA is still processing it; the asset will appear in the workspace when done. Raise Options → Wait Timeout, or turn off Wait for Ready and check it later with the Get operation.',
			);
		}
		await waitFor(Math.min(left, POLL_SCHEDULE_MS[poll] ?? POLL_MAX_MS), signal);
	}
}

function assetFailed(context: IExecuteFunctions, itemIndex: number, asset: IDataObject) {
	return itemError(
		context,
		itemIndex,
		`FLORA could not process asset ${String(asset.asset_id)}: ${String(asset.failure_message ?? 'no reason given')}`,
		'The asset has status "failed". For a URL source, check that the address is public and returns an allowed file type (image, video, audio or PDF).',
	);
}
