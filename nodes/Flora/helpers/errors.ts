import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { FloraApiError } from '../transport';
import { redactSecrets } from './redact';

/** Thrown when n8n cancels the execution while the node waits or transfers. */
export class FloraCancelledError extends Error {
	constructor() {
		super('The execution was cancelled.');
		this.name = 'FloraCancelledError';
	}
}

/** What an operation learned about an item before it failed (e.g. the asset it made). */
export type ItemProgress = IDataObject;

/** An item's failure that is not a FLORA API error: upload, timeout, failed asset. */
export function itemError(
	context: IExecuteFunctions | IWebhookFunctions,
	itemIndex: number,
	message: string,
	description?: string,
): NodeOperationError {
	return new NodeOperationError(context.getNode(), message, { itemIndex, description });
}

/**
 * The output of a failed item under On Error → Continue:
 * `{ message, error: { message, description, code, http_code, request_id, asset_id, fields } }`
 * (the fields that are known), never request headers. Both n8n lines send an
 * item whose json holds only `error` and `message` to the error output
 * ("Continue (using error output)"), merged with its input item's json; n8n
 * 1.x accepts no other key there. With "Continue" it stays on the one output.
 */
export function errorItem(
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
