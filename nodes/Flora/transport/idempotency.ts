import { createHash } from 'crypto';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { itemError } from '../helpers/errors';
import { FloraApiError, floraApiRequest, floraApiTryRequest } from './index';

export type MutationKind = 'create' | 'complete' | `retry-${number}` | 'project-create' | 'attach';

// The calls that take a user's Idempotency Key as it is; later calls of the same
// item derive theirs from it.
const FIRST_CALLS = new Set<MutationKind>(['create', 'project-create']);

/**
 * The Idempotency-Key of one mutating call. Derived from the n8n instance, the
 * execution, the node, its run in this execution, the item and the kind of call
 * (execution IDs restart at 1 on every instance), so a retry of
 * the same call (by the node, or by n8n's Retry On Fail) sends the same key and
 * FLORA applies it once, while no two items or loop runs ever share one.
 * A user key (the Idempotency Key option) replaces the derived base.
 */
export function idempotencyKey(
	context: IExecuteFunctions,
	itemIndex: number,
	kind: MutationKind,
	userKey?: string,
	assetId?: string,
): string {
	if (userKey && FIRST_CALLS.has(kind)) return userKey;
	const runIndex = context.getWorkflowDataProxy(itemIndex).$runIndex;
	const base =
		userKey ??
		[
			'n8n',
			context.getInstanceId(),
			context.getWorkflow().id ?? '',
			context.getExecutionId() ?? '',
			context.getNode().id,
			runIndex,
			itemIndex,
		].join(':');
	const digest = createHash('sha256')
		.update([base, kind, assetId ?? ''].join('|'))
		.digest('hex')
		.slice(0, 48);
	return `n8n_${digest}`;
}

// Keys this process already used for a successful create, and what each one
// made (an asset or a project ID): lets n8n's Retry On Fail pick it up again
// after FLORA answers 409 idempotency_duplicate. FLORA forgets keys after 2 hours.
const CREATED_TTL_MS = 2 * 60 * 60 * 1000;
const CREATED_MAX = 10_000;
const created = new Map<string, { id: string; at: number }>();

export function rememberCreated(key: string, id: string) {
	created.delete(key);
	created.set(key, { id, at: Date.now() });
	while (created.size > CREATED_MAX) {
		const oldest = created.keys().next().value;
		if (oldest === undefined) break;
		created.delete(oldest);
	}
}

export function recallCreated(key: string): string | undefined {
	const entry = created.get(key);
	if (!entry) return undefined;
	if (Date.now() - entry.at > CREATED_TTL_MS) {
		created.delete(key);
		return undefined;
	}
	return entry.id;
}

/** What a create sent: enough to recognise the asset it made. */
export interface CreateRequest {
	source: 'binary' | 'url' | 'signedUrl';
	body: IDataObject;
}

// Slack between FLORA's clock and this machine's when matching creation times.
const CLOCK_SKEW_MS = 60_000;

/**
 * Whether FLORA's `created_at` (unix seconds, unix ms or ISO text) is no earlier
 * than `startedAt`, the moment the lost request was first sent, less the slack.
 */
function createdSince(createdAt: unknown, startedAt: number): boolean {
	const number =
		typeof createdAt === 'string' && !/^\d+(\.\d+)?$/.test(createdAt.trim())
			? Date.parse(createdAt)
			: Number(createdAt);
	const ms = number < 1e12 ? number * 1000 : number;
	return Number.isFinite(ms) && ms >= startedAt - CLOCK_SKEW_MS;
}

/** Finds the asset an earlier, accepted try created, only when exactly one fits. */
export async function findCreatedAsset(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateRequest,
	startedAt: number,
): Promise<IDataObject | undefined> {
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
	// The lost answer was to a request this item sent after `startedAt`.
	const candidates = ((page.assets as IDataObject[] | undefined) ?? []).filter((asset) => {
		return (
			asset.name === name &&
			asset.uploaded_via === via &&
			createdSince(asset.created_at, startedAt) &&
			(item.body.content_type === undefined || asset.content_type === item.body.content_type) &&
			(item.body.project_id === undefined || asset.project_id === item.body.project_id) &&
			(item.source !== 'binary' || asset.status === 'pending_upload')
		);
	});
	if (candidates.length !== 1) return undefined;
	return await floraApiRequest.call(this, {
		method: 'GET',
		path: `/assets/${encodeURIComponent(String(candidates[0].asset_id))}`,
		itemIndex,
	});
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
