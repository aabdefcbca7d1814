import { createHash, randomUUID } from 'crypto';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { floraApiRequest } from './index';

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

function runNonce(context: IExecuteFunctions): string {
	const getExecuteData = (context as Partial<IExecuteFunctions>).getExecuteData;
	const anchor: object | undefined =
		typeof getExecuteData === 'function' ? getExecuteData.call(context) : undefined;
	const holder = anchor && typeof anchor === 'object' ? anchor : context;
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

// Keys this process already used for a successful create, and the asset each
// one made: lets n8n's Retry On Fail pick the asset up again after FLORA
// answers 409 idempotency_duplicate. FLORA forgets keys after 2 hours.
export const KEY_WINDOW_MS = 2 * 60 * 60 * 1000;
const CREATED_MAX = 10_000;
const created = new Map<string, { assetId: string; at: number }>();
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

export function rememberCreated(key: string, assetId: string) {
	remember(created, key, { assetId, at: Date.now() });
}

export function recallCreated(key: string): string | undefined {
	const entry = created.get(key);
	if (!entry) return undefined;
	if (Date.now() - entry.at > KEY_WINDOW_MS) {
		created.delete(key);
		return undefined;
	}
	return entry.assetId;
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
	const via = item.source === 'url' ? 'url' : 'signed_url';
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
			(options.stableKey || item.source !== 'binary' || asset.status === 'pending_upload')
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
