import type {
	IDataObject,
	IHookFunctions,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { isFloraId } from './ids';

// What a webhook() of this package does with a FLORA run callback before anything else:
// answer it by itself, read its headers, and parse the body FLORA signed.

/** FLORA's run callback body (FLORA_API.md "Run webhooks"): no outputs, only the run's id. */
export interface FloraRunEvent extends IDataObject {
	id: string;
	type: string;
	data: IDataObject & { run_id: string };
}

/** Answers the request here and starts nothing. */
export function answer(
	context: IWebhookFunctions,
	status: number,
	body: IDataObject,
): IWebhookResponseData {
	context.getResponseObject().status(status).json(body);
	return { noWebhookResponse: true };
}

export function refuse(context: IWebhookFunctions, status: number, code: string, message: string) {
	return answer(context, status, { error: { code, message } });
}

export function headerOf(context: IWebhookFunctions, name: string): string | undefined {
	const value = context.getRequestObject().headers[name];
	return Array.isArray(value) ? value.join(',') : value;
}

/** The verified body as an event, or why it is not one. */
export function parseRunEvent(rawBody: Buffer): FloraRunEvent | string {
	let body: unknown;
	try {
		body = JSON.parse(rawBody.toString('utf8'));
	} catch {
		return 'The body is not JSON';
	}
	const event = body as Partial<FloraRunEvent> | null;
	if (!event || typeof event !== 'object' || Array.isArray(event))
		return 'The body is not an event';
	if (typeof event.type !== 'string' || !event.type) return 'The event has no type';
	if (typeof event.id !== 'string' || !event.id) return 'The event has no id';
	const runId = (event.data as IDataObject | undefined)?.run_id;
	if (typeof runId !== 'string' || !isFloraId('run', runId)) {
		return 'The event has no data.run_id of the form run_…';
	}
	return event as FloraRunEvent;
}

/**
 * `webhookMethods` for this package's webhooks: FLORA has no API to register, list or delete
 * webhooks (a run's callback_url is its only subscription), so there is nothing to set up on
 * activation or to remove after it.
 */
export const NO_WEBHOOK_REGISTRATION = {
	default: {
		async checkExists(this: IHookFunctions): Promise<boolean> {
			return true;
		},
		async create(this: IHookFunctions): Promise<boolean> {
			return true;
		},
		async delete(this: IHookFunctions): Promise<boolean> {
			return true;
		},
	},
};
