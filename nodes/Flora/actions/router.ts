import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

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

	const results: INodeExecutionData[][] = new Array(items.length);
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
				results[index] = [errorItem(this, entry.error, index)];
				continue;
			}
			try {
				const output = await operation.execute.call(this, index, entry.value, progress[index]);
				results[index] = output.map((item) => ({ ...item, pairedItem: { item: index } }));
			} catch (error) {
				if (continueOnFail) {
					results[index] = [errorItem(this, error, index, progress[index])];
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

function asNodeError(context: IExecuteFunctions, error: unknown, itemIndex: number) {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeOperationError(context.getNode(), error as Error, { itemIndex });
}

/** The output of a failed item under Continue On Fail: what failed, never request headers. */
function errorItem(
	context: IExecuteFunctions,
	error: unknown,
	itemIndex: number,
	progress: ItemProgress = {},
): INodeExecutionData {
	const e = error as Partial<FloraApiError> & { description?: string | null; message?: string };
	const json: IDataObject = { error: redactSecrets(e?.message ?? String(error)) };
	if (e?.description) json.description = redactSecrets(e.description);
	if (e?.flora) {
		json.code = e.flora.code;
		json.http_code = e.flora.status;
		if (e.flora.requestId) json.request_id = e.flora.requestId;
		if (e.flora.fields.length) json.fields = e.flora.fields;
	}
	Object.assign(json, progress);
	// n8n moves an item to the error output only when its json has no keys but
	// `error`, `message` and `details` (an item carrying `error` itself would
	// lose everything but the message): the rest goes under `details`.
	if (context.getNode().onError === 'continueErrorOutput') {
		const { error: message, ...details } = json;
		return { json: { error: message, details }, pairedItem: { item: itemIndex } };
	}
	return { json, pairedItem: { item: itemIndex } };
}
