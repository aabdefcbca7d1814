import type { IDataObject, IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

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
