import { createHash } from 'crypto';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { waitFor } from '../helpers/wait';
import { cancelSignalOf, floraApiRequest } from './index';

export type MutationKind =
	| 'create'
	| 'complete'
	| `retry-${number}`
	| 'generate'
	| 'technique-run'
	/** A technique input's binary, uploaded as an asset before the run. */
	| `input:${string}:create`;

// The calls whose key a user may set verbatim (Options → Idempotency Key);
// every other call of the item derives its own key from it.
const USER_KEYED: ReadonlySet<MutationKind> = new Set(['create', 'generate', 'technique-run']);

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
	if (userKey && USER_KEYED.has(kind)) return userKey;
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

// Keys this process already used for a successful create or run start, and
// the asset or run each one made: lets n8n's Retry On Fail pick it up again
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

/** Whether some key of this process already claimed this asset or run. */
function isClaimed(id: string): boolean {
	const now = Date.now();
	for (const entry of created.values()) {
		if (entry.id === id && now - entry.at <= CREATED_TTL_MS) return true;
	}
	return false;
}

/** What a create sent: enough to recognise the asset it made. */
export interface CreateRequest {
	source: 'binary' | 'url' | 'signedUrl';
	body: IDataObject;
}

// Slack between FLORA's clock and this machine's when matching creation times.
const CLOCK_SKEW_MS = 60_000;

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
	// The lost answer was to a request this item sent after `startedAt`; a little
	// slack covers the difference between FLORA's clock and this machine's.
	const since = startedAt - CLOCK_SKEW_MS;
	const candidates = ((page.assets as IDataObject[] | undefined) ?? []).filter((asset) => {
		const created = Number(asset.created_at);
		const createdMs = created < 1e12 ? created * 1000 : created;
		return (
			asset.name === name &&
			asset.uploaded_via === via &&
			Number.isFinite(createdMs) &&
			createdMs >= since &&
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

const GENERATION_TYPES = new Set(['image', 'video', 'audio', 'text']);

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
		if (typeof runType === 'string' && GENERATION_TYPES.has(runType) && runType !== request.type) {
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
