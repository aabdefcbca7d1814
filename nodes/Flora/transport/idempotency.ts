import { createHash } from 'crypto';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { floraApiRequest } from './index';

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
export async function recoverCreatedAsset(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateRequest,
	key: string,
	startedAt: number,
): Promise<IDataObject | undefined> {
	const remembered = recallCreated(key);
	if (remembered) {
		return await floraApiRequest.call(this, {
			method: 'GET',
			path: `/assets/${encodeURIComponent(remembered)}`,
			itemIndex,
		});
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
 * Finds the project an earlier, accepted `POST /projects` made: the one this
 * process remembers for the key, else the only project of that name in the
 * workspace created since the first try. Undefined when none or several fit.
 */
export async function recoverCreatedProject(
	this: IExecuteFunctions,
	itemIndex: number,
	body: { name: string; workspace_id: string },
	key: string,
	startedAt: number,
): Promise<IDataObject | undefined> {
	const remembered = recallCreated(key);
	if (remembered) {
		return await floraApiRequest.call(this, {
			method: 'GET',
			path: `/projects/${encodeURIComponent(remembered)}`,
			itemIndex,
		});
	}
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
