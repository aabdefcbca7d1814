import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { errorItem, itemError } from '../helpers/errors';
import type { ItemProgress } from '../helpers/errors';
import { isToolExecution } from '../helpers/binary';
import { followRun } from '../helpers/runs';
import {
	planWebhookWait,
	recordSameRun,
	recordStartFailure,
	webhookWaitOutcome,
} from '../helpers/webhookWait';
import * as asset from './asset';
import * as generation from './generation';
import * as model from './model';
import * as project from './project';
import * as run from './run';
import * as technique from './technique';
import type { FloraOperation, FloraOperations } from './types';

/** Every resource's operations, by `resource` value. */
const resources: Record<string, FloraOperations> = {
	asset: asset.operations,
	generation: generation.operations,
	model: model.operations,
	project: project.operations,
	run: run.operations,
	technique: technique.operations,
};

type Prepared = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * The per-item loop for every operation: validates all items before any
 * request, runs them `concurrency` at a time with output in input order, pairs
 * each output with its input, and applies "Continue On Fail".
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operationName = this.getNodeParameter('operation', 0) as string;
	const operation: FloraOperation<unknown> | undefined = resources[resource]?.[operationName];
	if (!operation) {
		throw new NodeOperationError(
			this.getNode(),
			`The operation "${operationName}" of resource "${resource}" is not supported`,
		);
	}
	const continueOnFail = this.continueOnFail();
	const concurrency = operation.concurrency ? operation.concurrency.call(this) : 1;

	const prepared: Prepared[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			prepared.push({ ok: true, value: await operation.prepare.call(this, i) });
		} catch (error) {
			if (!continueOnFail) throw asNodeError(this, error, i);
			prepared.push({ ok: false, error });
		}
	}

	const sameAs = sharedKeys(this, operation, prepared, continueOnFail);
	const byWebhook = await planWaitByWebhook(this, operation, prepared);
	const inFlight = byWebhook ? 1 : concurrency;

	const results: INodeExecutionData[][] = new Array(items.length);
	const running: Array<Promise<INodeExecutionData[]>> = new Array(items.length);
	const progress: ItemProgress[] = items.map(() => ({}));
	const state: { failed?: { index: number; error: unknown } } = {};
	const recordFailure = (index: number, error: unknown) => {
		if (!state.failed || index < state.failed.index) state.failed = { index, error };
	};
	let next = 0;
	const worker = async () => {
		// Once an item failed (without Continue On Fail) no new item starts; the
		// ones in flight finish, so none is left half-created.
		while (next < items.length && !state.failed) {
			const index = next++;
			const entry = prepared[index];
			if (!entry.ok) {
				results[index] = [errorItem(entry.error, index)];
				if (byWebhook) recordStartFailure(this, index, entry.error);
				continue;
			}
			const first = sameAs.get(index);
			running[index] =
				first === undefined
					? operation.execute.call(this, index, entry.value, progress[index])
					: // The same logical item (same key, same request): one result for both.
						running[first].then((output) => {
							Object.assign(progress[index], progress[first]);
							return output;
						});
			try {
				const output = await running[index];
				if (byWebhook && first !== undefined) recordSameRun(this, index, first);
				results[index] = output.map((item) => ({ ...item, pairedItem: { item: index } }));
			} catch (error) {
				if (continueOnFail) {
					results[index] = [errorItem(error, index, progress[index])];
					if (byWebhook) recordStartFailure(this, index, error);
				} else {
					recordFailure(index, error);
				}
			}
		}
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(inFlight, items.length)) }, worker));
	const waiting = byWebhook ? webhookWaitOutcome(this) : undefined;
	if (state.failed) throw asNodeError(this, state.failed.error, state.failed.index);
	if (waiting?.kind === 'wait') {
		await this.putExecutionToWait(waiting.waitTill);
	} else if (waiting?.kind === 'poll') {
		// The runs started, but this execution cannot be sure to be called back: follow them here.
		for (const [index, run] of waiting.runs) {
			const entry = prepared[index] as { ok: true; value: unknown };
			const behaviour = operation.runBehaviour!(entry.value);
			try {
				const output = await followRun.call(
					this,
					index,
					run.accepted,
					run.runPath,
					{ ...behaviour, waitMode: 'poll' },
					progress[index],
					run.extra,
				);
				results[index] = [{ ...output, pairedItem: { item: index } }];
			} catch (error) {
				if (!continueOnFail) throw asNodeError(this, error, index);
				results[index] = [errorItem(error, index, progress[index])];
			}
		}
	}
	return [results.flat()];
}

/**
 * Wait Mode "Webhook": every item of the node run must wait the same way; checks before any
 * request that FLORA can call back (helpers/webhookWait.ts). True when the node run waits so.
 */
async function planWaitByWebhook(
	context: IExecuteFunctions,
	operation: FloraOperation<unknown>,
	prepared: Prepared[],
): Promise<boolean> {
	if (!operation.runBehaviour) return false;
	const behaviours = prepared.map((entry) =>
		entry.ok ? operation.runBehaviour!(entry.value) : undefined,
	);
	const byWebhook = behaviours.findIndex((b) => b?.waitMode === 'webhook');
	if (byWebhook < 0) return false;
	const byPoll = behaviours.findIndex((b) => b !== undefined && b.waitMode !== 'webhook');
	if (byPoll >= 0) {
		throw itemError(
			context,
			byPoll,
			`Item ${byPoll + 1} waits by polling, item ${byWebhook + 1} by webhook: one node run waits one way`,
			'Nothing was started. Give Options → Wait Mode and Wait for Completion the same value for every item (no expression that differs per item).',
		);
	}
	if (isToolExecution(context)) {
		throw itemError(
			context,
			0,
			'Wait Mode "Webhook" is not available when an AI agent runs this node',
			'An agent needs the answer in the same step. Set Options → Wait Mode to Poll.',
		);
	}
	await planWebhookWait(
		context,
		prepared.length,
		behaviours.map((b) => b?.timeoutMs ?? 0),
	);
	return true;
}

/**
 * Items that share a user idempotency key (in one scope) must be one logical
 * item. Different requests under one key fail, all of them, before any request;
 * for identical ones, the later items take the first one's result (returned map:
 * later index to first index).
 */
function sharedKeys(
	context: IExecuteFunctions,
	operation: FloraOperation<unknown>,
	prepared: Prepared[],
	continueOnFail: boolean,
): Map<number, number> {
	const sameAs = new Map<number, number>();
	if (!operation.itemKey) return sameAs;
	const groups = new Map<string, Array<{ index: number; request: string; key: string }>>();
	prepared.forEach((entry, index) => {
		if (!entry.ok) return;
		const itemKey = operation.itemKey?.(entry.value);
		if (!itemKey) return;
		const id = JSON.stringify([itemKey.scope, itemKey.key]);
		const group = groups.get(id) ?? [];
		group.push({ index, request: itemKey.request, key: itemKey.key });
		groups.set(id, group);
	});
	for (const group of groups.values()) {
		if (group.length < 2) continue;
		const differs = group.find((member) => member.request !== group[0].request);
		if (!differs) {
			for (const member of group.slice(1)) sameAs.set(member.index, group[0].index);
			continue;
		}
		const numbers = group.map((member) => member.index + 1);
		const listed = `${numbers.slice(0, -1).join(', ')} and ${numbers[numbers.length - 1]}`;
		for (const member of group) {
			const error = itemError(
				context,
				member.index,
				`Items ${listed} use the same Idempotency Key "${member.key}" for different requests`,
				`Item ${group[0].index + 1} and item ${differs.index + 1} would make different assets, but one Idempotency Key stands for one logical item, so FLORA would keep only the first. Nothing was sent. Make the key unique per item, for example {{ $json.orderId + "-" + $itemIndex }}, or leave Options → Idempotency Key empty.`,
			);
			if (!continueOnFail) throw error;
			prepared[member.index] = { ok: false, error };
		}
	}
	return sameAs;
}

function asNodeError(context: IExecuteFunctions, error: unknown, itemIndex: number) {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeOperationError(context.getNode(), error as Error, { itemIndex });
}
