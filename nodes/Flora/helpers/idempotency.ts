import { createHash } from 'crypto';
import type { IExecuteFunctions } from 'n8n-workflow';

export type MutationKind = 'create' | 'complete' | `retry-${number}`;

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
	if (userKey && kind === 'create') return userKey;
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

// Keys this process already used for a successful create, and the asset each
// one made: lets n8n's Retry On Fail pick the asset up again after FLORA
// answers 409 idempotency_duplicate. FLORA forgets keys after 2 hours.
const CREATED_TTL_MS = 2 * 60 * 60 * 1000;
const CREATED_MAX = 10_000;
const created = new Map<string, { assetId: string; at: number }>();

export function rememberCreated(key: string, assetId: string) {
	created.delete(key);
	created.set(key, { assetId, at: Date.now() });
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
	return entry.assetId;
}
