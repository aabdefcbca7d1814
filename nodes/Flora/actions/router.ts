import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { itemError } from '../helpers/errors';
import { redactSecrets } from '../helpers/redact';
import type { ItemProgress } from '../helpers/errors';
import type { FloraApiError } from '../transport';
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
				results[index] = output.map((item) => ({ ...item, pairedItem: { item: index } }));
			} catch (error) {
				if (continueOnFail) {
					results[index] = [errorItem(error, index, progress[index])];
				} else {
					recordFailure(index, error);
				}
			}
		}
	};
	await Promise.all(
		Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker),
	);
	if (state.failed) throw asNodeError(this, state.failed.error, state.failed.index);
	return [results.flat()];
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

/**
 * The output of a failed item under On Error → Continue:
 * `{ message, error: { message, description, code, http_code, request_id, asset_id, fields } }`
 * (the fields that are known), never request headers. Both n8n lines send an
 * item whose json holds only `error` and `message` to the error output
 * ("Continue (using error output)"), merged with its input item's json; n8n
 * 1.x accepts no other key there. With "Continue" it stays on the one output.
 */
function errorItem(
	error: unknown,
	itemIndex: number,
	progress: ItemProgress = {},
): INodeExecutionData {
	const e = error as Partial<FloraApiError> & { description?: string | null; message?: string };
	const message = redactSecrets(e?.message ?? String(error));
	const details: IDataObject = { message };
	if (e?.description) details.description = redactSecrets(e.description);
	if (e?.flora) {
		details.code = e.flora.code;
		details.http_code = e.flora.status;
		if (e.flora.requestId) details.request_id = e.flora.requestId;
		if (e.flora.fields.length) details.fields = e.flora.fields;
	}
	Object.assign(details, progress);
	return { json: { message, error: details }, pairedItem: { item: itemIndex } };
}
