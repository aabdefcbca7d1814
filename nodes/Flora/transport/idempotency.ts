import { createHash, randomUUID } from 'crypto';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { itemError } from '../helpers/errors';
import { GENERATION_TYPES } from '../helpers/ids';
import { waitFor } from '../helpers/wait';
import { cancelSignalOf, FloraApiError, floraApiRequest, floraApiTryRequest } from './index';

/**
 * What a mutating call does: 'create', 'complete', 'retry', or any other name an
 * operation gives its calls ('generate', 'technique-run', …). Add a suffix
 * (`complete-<form>`) when one item makes several different calls of one kind.
 */
export type MutationKind = string;

// One random value per node run in this process, kept across n8n's Retry On Fail
// (n8n hands every try the same execute data). Two n8n instances restored from
// one backup share their encryption key, instance ID, workflow and node IDs and
// execution numbers; this value is what keeps their keys apart, and it also
// keeps runs apart when n8n gives no execution ID.
const runNonces = new WeakMap<object, string>();

/**
 * What stands for one node run in this process: n8n's execute data, the same
 * object for every try under Retry On Fail; the context where there is none.
 */
export function nodeRunAnchor(context: IExecuteFunctions): object {
	const getExecuteData = (context as Partial<IExecuteFunctions>).getExecuteData;
	const anchor: object | undefined =
		typeof getExecuteData === 'function' ? getExecuteData.call(context) : undefined;
	return anchor && typeof anchor === 'object' ? anchor : context;
}

function runNonce(context: IExecuteFunctions): string {
	const holder = nodeRunAnchor(context);
	let nonce = runNonces.get(holder);
	if (!nonce) {
		nonce = randomUUID();
		runNonces.set(holder, nonce);
	}
	return nonce;
}

function digest(parts: Array<string | number>): string {
	return createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 48);
}

/**
 * The Idempotency-Key of one mutating call.
 *
 * Without a user key: derived from the n8n instance, the workflow, the
 * execution, the node, its run in this execution, the item, a random value of
 * this node run, and the call. A retry of the same call (by the node, or by
 * n8n's Retry On Fail) sends the same key and FLORA applies it once; no two
 * items, loop runs, executions or n8n instances ever share one.
 *
 * With a user key (the Idempotency Key option): the key names one logical item,
 * stable across executions, restarts and queue workers. It is scoped to the
 * n8n instance, the workflow, the node and `scope` (for example the workspace),
 * so the same value in two nodes or for two workspaces never collides.
 */
export function idempotencyKey(
	context: IExecuteFunctions,
	itemIndex: number,
	kind: MutationKind,
	userKey?: string,
	assetId?: string,
	scope?: string,
): string {
	const node = context.getNode();
	const workflowId = context.getWorkflow().id ?? '';
	if (userKey) {
		return `n8n_${digest(['user', context.getInstanceId(), workflowId, node.id, scope ?? '', userKey, kind, assetId ?? ''])}`;
	}
	const runIndex = context.getWorkflowDataProxy(itemIndex).$runIndex;
	const base = [
		'n8n',
		context.getInstanceId(),
		workflowId,
		context.getExecutionId() ?? '',
		node.id,
		runIndex,
		itemIndex,
		runNonce(context),
	].join(':');
	return `n8n_${digest([base, kind, assetId ?? '', scope ?? ''])}`;
}

// Keys this process already used for a successful create or run start, and
// what each one made (an asset, project or run ID): lets n8n's Retry On Fail
// pick it up again after FLORA answers 409 idempotency_duplicate. FLORA
// forgets keys after 2 hours.
export const KEY_WINDOW_MS = 2 * 60 * 60 * 1000;
const CREATED_MAX = 10_000;
const created = new Map<string, { id: string; at: number }>();
const completed = new Map<string, number>();

function remember<T>(map: Map<string, T>, key: string, value: T) {
	map.delete(key);
	map.set(key, value);
	while (map.size > CREATED_MAX) {
		const oldest = map.keys().next().value;
		if (oldest === undefined) break;
		map.delete(oldest);
	}
}

export function rememberCreated(key: string, id: string) {
	remember(created, key, { id, at: Date.now() });
}

export function recallCreated(key: string): string | undefined {
	const entry = created.get(key);
	if (!entry) return undefined;
	if (Date.now() - entry.at > KEY_WINDOW_MS) {
		created.delete(key);
		return undefined;
	}
	return entry.id;
}

/** Whether some key of this process already claimed this asset, project or run. */
function isClaimed(id: string): boolean {
	const now = Date.now();
	for (const entry of created.values()) {
		if (entry.id === id && now - entry.at <= KEY_WINDOW_MS) return true;
	}
	return false;
}

/** An asset whose upload FLORA accepted (`complete`): a rerun only waits for it. */
export function rememberCompleted(assetId: string) {
	remember(completed, assetId, Date.now());
}

export function wasCompleted(assetId: string): boolean {
	const at = completed.get(assetId);
	if (at === undefined) return false;
	if (Date.now() - at > KEY_WINDOW_MS) {
		completed.delete(assetId);
		return false;
	}
	return true;
}

/** What a create sent: enough to recognise the asset it made. */
export interface CreateRequest {
	source: 'binary' | 'url' | 'signedUrl';
	body: IDataObject;
	/** How the bytes went: `direct` for the one-request multipart create. */
	via?: 'direct';
}

export interface RecoverOptions {
	/**
	 * The key is the user's, stable across executions: the asset may have been
	 * made by an earlier execution, up to FLORA's 2-hour key window ago, and may
	 * be in any state.
	 */
	stableKey?: boolean;
}

// Slack between FLORA's clock and this machine's when matching creation times.
const CLOCK_SKEW_MS = 60_000;

/**
 * Whether an asset is the one this request would make: same workspace, name,
 * type and project. A field FLORA leaves out of its answer is not held against it.
 */
export function assetMatchesRequest(asset: IDataObject, item: CreateRequest): boolean {
	const body = item.body;
	const same = (field: unknown, wanted: unknown) =>
		field === undefined || field === null ? true : field === wanted;
	const type = asset.content_type ?? asset.upload_content_type;
	const project = asset.project_id;
	return (
		asset.workspace_id === body.workspace_id &&
		(body.file_name === undefined || asset.name === body.file_name) &&
		(body.content_type === undefined || same(type, body.content_type)) &&
		(body.project_id === undefined
			? project === undefined || project === null
			: same(project, body.project_id))
	);
}

/**
 * Finds the asset an earlier, accepted try created: the one this process
 * remembers for the key, or else the only one in the workspace that fits. Used
 * only when it matches the request.
 */
export async function recoverCreatedAsset(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateRequest,
	key: string,
	startedAt: number,
	options: RecoverOptions = {},
): Promise<IDataObject | undefined> {
	const remembered = recallCreated(key);
	if (remembered) {
		const asset = await floraApiRequest.call(this, {
			method: 'GET',
			path: `/assets/${encodeURIComponent(remembered)}`,
			itemIndex,
		});
		return assetMatchesRequest(asset, item) ? asset : undefined;
	}
	const name = item.body.file_name;
	if (typeof name !== 'string') return undefined;
	const page = await floraApiRequest.call(this, {
		method: 'GET',
		path: '/assets',
		qs: {
			workspace_id: item.body.workspace_id,
			...(item.body.project_id ? { project_id: item.body.project_id } : {}),
			query: name,
			limit: 100,
		},
		itemIndex,
	});
	const direct = item.via === 'direct';
	const via = direct ? 'direct' : item.source === 'url' ? 'url' : 'signed_url';
	// The lost answer was to a request this item sent after `startedAt`; a little
	// slack covers the difference between FLORA's clock and this machine's. A
	// user key may have been used by an earlier execution within FLORA's window.
	const since = options.stableKey
		? Date.now() - KEY_WINDOW_MS - CLOCK_SKEW_MS
		: startedAt - CLOCK_SKEW_MS;
	const candidates = ((page.assets as IDataObject[] | undefined) ?? []).filter((asset) => {
		const created = Number(asset.created_at);
		const createdMs = created < 1e12 ? created * 1000 : created;
		return (
			assetMatchesRequest(asset, item) &&
			asset.uploaded_via === via &&
			Number.isFinite(createdMs) &&
			createdMs >= since &&
			// A direct create stores the bytes in the same call: its asset is ready (or
			// failed) at once, so its status tells nothing; one another key of this
			// process made is not this one.
			(direct
				? !isClaimed(String(asset.asset_id))
				: options.stableKey || item.source !== 'binary' || asset.status === 'pending_upload')
		);
	});
	if (candidates.length !== 1) return undefined;
	const asset = await floraApiRequest.call(this, {
		method: 'GET',
		path: `/assets/${encodeURIComponent(String(candidates[0].asset_id))}`,
		itemIndex,
	});
	if (!assetMatchesRequest(asset, item)) return undefined;
	rememberCreated(key, String(asset.asset_id));
	return asset;
}

function createdSince(createdAt: unknown, startedAt: number): boolean {
	const number =
		typeof createdAt === 'string' && !/^\d+(\.\d+)?$/.test(createdAt.trim())
			? Date.parse(createdAt)
			: Number(createdAt);
	const ms = number < 1e12 ? number * 1000 : number;
	return Number.isFinite(ms) && ms >= startedAt - CLOCK_SKEW_MS;
}

/** What a run start sent: enough to recognise the run it made. */
export interface RunStartRequest {
	runKind: 'generation' | 'technique';
	workspaceId: string;
	projectId?: string;
	/** Generation: the `type`, `model` (when one was chosen) and `prompt` sent. */
	type?: string;
	model?: string;
	prompt?: string;
	/** Technique: its `technique_id` (also when the user gave the slug). */
	techniqueId?: string;
}

/** A time FLORA sent as unix seconds, unix milliseconds or ISO text, in milliseconds. */
export function timeMs(value: unknown): number | undefined {
	if (typeof value === 'number' && Number.isFinite(value)) {
		return value < 1e12 ? value * 1000 : value;
	}
	if (typeof value === 'string' && value.trim() !== '') {
		const n = Number(value);
		if (Number.isFinite(n)) return timeMs(n);
		const parsed = Date.parse(value);
		return Number.isNaN(parsed) ? undefined : parsed;
	}
	return undefined;
}

function modelIdOf(run: IDataObject): string | undefined {
	const model = run.model;
	if (typeof model === 'string') return model;
	if (model && typeof model === 'object') {
		const id = (model as IDataObject).model_id;
		if (typeof id === 'string') return id;
	}
	return typeof run.model_id === 'string' ? run.model_id : undefined;
}

const GENERATION_TYPE_SET: ReadonlySet<string> = new Set(GENERATION_TYPES);

/**
 * The runs of a list (`GET /generations` or `GET /technique-runs`) that the
 * lost start request may have made: same workspace, project, model or
 * technique (and type and prompt where the list shows them), created after
 * `since`, and not already claimed by another key of this process.
 */
export function matchStartedRuns(
	runs: IDataObject[],
	request: RunStartRequest,
	since: number,
	claimed: (runId: string) => boolean = isClaimed,
): IDataObject[] {
	return runs.filter((run) => {
		const runId = run.run_id;
		if (typeof runId !== 'string' || claimed(runId)) return false;
		const created = timeMs(run.created_at);
		if (created === undefined || created < since) return false;
		if (run.workspace_id !== undefined && run.workspace_id !== request.workspaceId) return false;
		if (request.projectId !== undefined && run.project_id !== undefined) {
			if (run.project_id !== request.projectId) return false;
		}
		if (request.runKind === 'technique') {
			return run.technique_id === undefined || run.technique_id === request.techniqueId;
		}
		if (request.model !== undefined && modelIdOf(run) !== request.model) return false;
		const runType = run.generation_type ?? run.type;
		if (
			typeof runType === 'string' &&
			GENERATION_TYPE_SET.has(runType) &&
			runType !== request.type
		) {
			return false;
		}
		if (typeof run.prompt === 'string' && run.prompt !== request.prompt) return false;
		return true;
	});
}

// A run started by another item may be on the list before its own answer
// arrived and claimed it: a second look settles most of those ties.
const RECOVERY_LOOKS = 3;
const RECOVERY_PAUSE_MS = 1_000;

/**
 * After a 409 idempotency_duplicate on a run start: the ID of the run an
 * earlier, accepted try of the same request made, or undefined when it cannot
 * be told apart from others. Never starts anything.
 */
export async function recoverStartedRun(
	this: IExecuteFunctions,
	itemIndex: number,
	request: RunStartRequest,
	key: string,
	startedAt: number,
): Promise<string | undefined> {
	const remembered = recallCreated(key);
	if (remembered) return remembered;
	const technique = request.runKind === 'technique';
	const qs: IDataObject = { workspace_id: request.workspaceId, limit: 100 };
	if (request.projectId) qs.project_id = request.projectId;
	if (technique && request.techniqueId) qs.technique_id = request.techniqueId;
	for (let look = 1; ; look++) {
		const page = await floraApiRequest.call(this, {
			method: 'GET',
			path: technique ? '/technique-runs' : '/generations',
			qs,
			itemIndex,
		});
		const list = (page[technique ? 'technique_runs' : 'generations'] as IDataObject[]) ?? [];
		const candidates = matchStartedRuns(list, request, startedAt - CLOCK_SKEW_MS);
		if (candidates.length === 1) return String(candidates[0].run_id);
		if (candidates.length === 0 || look >= RECOVERY_LOOKS) return undefined;
		await waitFor(RECOVERY_PAUSE_MS, cancelSignalOf(this));
	}
}

/**
 * Finds the project an earlier, accepted `POST /projects` made: the only project
 * of that name in the workspace created since the first try.
 */
export async function findCreatedProject(
	this: IExecuteFunctions,
	itemIndex: number,
	body: { name: string; workspace_id: string },
	startedAt: number,
): Promise<IDataObject | undefined> {
	const page = await floraApiRequest.call(this, {
		method: 'GET',
		path: '/projects',
		qs: { workspace_id: body.workspace_id, query: body.name, limit: 100 },
		itemIndex,
	});
	const candidates = ((page.projects as IDataObject[] | undefined) ?? []).filter(
		(project) =>
			project.name === body.name &&
			(project.workspace_id === undefined || project.workspace_id === body.workspace_id) &&
			createdSince(project.created_at, startedAt),
	);
	return candidates.length === 1 ? candidates[0] : undefined;
}

export interface CreateOnce {
	/** The collection to POST to, e.g. `/assets`; what it made is read at `${path}/{id}`. */
	path: string;
	body: IDataObject;
	key: string;
	/** The ID field of what it makes, e.g. `asset_id`. */
	idField: string;
	/** What it is, for messages: `asset`, `project`. */
	thing: string;
	/** Where to look for it by hand when it cannot be identified. */
	lookFor: string;
	/** Identifies what an earlier try made, only when exactly one thing fits. */
	find(startedAt: number): Promise<IDataObject | undefined>;
}

/**
 * A POST that creates one thing under an Idempotency-Key. After a lost answer
 * (the replay gets 409 idempotency_duplicate) it gives back what the first try
 * made: the one this process remembers for the key, else what `find`
 * identifies; else it fails saying that nothing new was created.
 */
export async function createOnce(
	this: IExecuteFunctions,
	itemIndex: number,
	create: CreateOnce,
): Promise<IDataObject> {
	const startedAt = Date.now();
	const outcome = await floraApiTryRequest.call(this, {
		method: 'POST',
		path: create.path,
		body: create.body,
		idempotencyKey: create.key,
		itemIndex,
	});
	if (outcome.ok) {
		rememberCreated(create.key, String(outcome.body[create.idField]));
		return outcome.body;
	}
	if (outcome.error.code !== 'idempotency_duplicate') {
		throw new FloraApiError(this, outcome.error, itemIndex);
	}
	const remembered = recallCreated(create.key);
	const recovered = remembered
		? await floraApiRequest.call(this, {
				method: 'GET',
				path: `${create.path}/${encodeURIComponent(remembered)}`,
				itemIndex,
			})
		: await create.find(startedAt);
	if (recovered) return recovered;
	throw itemError(
		this,
		itemIndex,
		`FLORA already accepted this create request, but the ${create.thing} it made could not be identified`,
		`FLORA answered 409 idempotency_duplicate for Idempotency-Key ${create.key}: an earlier try of this same request was accepted, probably with its answer lost on the way back. Nothing new was created. Look in ${create.lookFor} created in the last 2 hours; to create a new one anyway, set Options → Idempotency Key to a new value.`,
	);
}
