import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import {
	acceptDelivery,
	claimDelivery,
	hasDelivery,
	readDeliveryLog,
	releaseDelivery,
	withDelivery,
} from '../Flora/helpers/deliveries';
import type { FloraRunEvent } from '../Flora/helpers/callbacks';
import { answer, headerOf, parseRunEvent, refuse } from '../Flora/helpers/callbacks';
import { isFloraId } from '../Flora/helpers/ids';
import { runOutputsToBinary } from '../Flora/helpers/outputs';
import {
	DEFAULT_TOLERANCE_SECONDS,
	DELIVERY_ID_HEADER,
	SIGNATURE_HEADER,
	verifySignature,
} from '../Flora/helpers/signature';
import { waitFor } from '../Flora/helpers/wait';
import { floraApiRequest } from '../Flora/transport';

export type { FloraRunEvent };
export { parseRunEvent };

export const RUN_EVENTS = ['run.completed', 'run.failed'] as const;

export interface TriggerOptions {
	fetchRun?: boolean;
	downloadOutputs?: boolean;
	toleranceSeconds?: number;
}

// A callback can arrive a moment before GET /runs/{id} shows the run as ended. These re-reads
// (about 5 s in all) keep FLORA's wait for an answer short; after them the run is output as read.
const EARLY_DELIVERY_REREADS_MS = [1000, 2000, 2000];
// The answer to FLORA waits for these reads: fewer retries than the API policy's 5 minutes.
const RUN_READ_ATTEMPTS = 3;

const TERMINAL = new Set(['completed', 'failed']);

/**
 * The run as FLORA reports it now. `GET /runs/{id}` serves generation and technique runs alike;
 * the technique path is used only when the event names the technique.
 */
async function readRun(context: IWebhookFunctions, event: FloraRunEvent): Promise<IDataObject> {
	const runId = encodeURIComponent(event.data.run_id);
	const techniqueId = event.data.technique_id;
	const path =
		typeof techniqueId === 'string' && isFloraId('technique', techniqueId)
			? `/techniques/${encodeURIComponent(techniqueId)}/runs/${runId}`
			: `/runs/${runId}`;
	for (let reread = 0; ; reread++) {
		const run = await floraApiRequest.call(context, {
			method: 'GET',
			path,
			maxAttempts: RUN_READ_ATTEMPTS,
		});
		if (TERMINAL.has(String(run.status)) || reread >= EARLY_DELIVERY_REREADS_MS.length) return run;
		await waitFor(EARLY_DELIVERY_REREADS_MS[reread]);
	}
}

/**
 * The bare event, or the run as FLORA reports it with the event beside it; outputs become binary
 * properties (`data`, `data_1`, …) with Download Outputs, which therefore always reads the run.
 */
async function eventItem(
	context: IWebhookFunctions,
	event: FloraRunEvent,
	options: TriggerOptions,
): Promise<INodeExecutionData> {
	if (options.fetchRun === false && !options.downloadOutputs) return { json: event };
	const run = await readRun(context, event);
	const json = { ...run, event };
	if (!options.downloadOutputs || run.status !== 'completed') return { json };
	const binary = await runOutputsToBinary.call(context, 0, run);
	return Object.keys(binary).length ? { json, binary } : { json };
}

/**
 * One FLORA callback: verify, filter, drop repeats, then (optionally) read the run.
 *
 * Why a repeat is caught after an n8n restart: n8n's live webhooks (1.123 and 2.41) call
 * `WorkflowStaticDataService.saveStaticData` in the callback that hands the answer to the HTTP
 * layer, on every path where `webhook()` did not throw (a started execution, a repeat, a
 * refusal), before the answer is written. It saves only when the static data's change flag is
 * set. On 1.123 that works for every write here; on 2.41.1, under `n8n start`, the flag was set
 * only for the first write (when the node's static data did not exist yet) and later writes were
 * not saved. So the ids are also written by the execution's first step (`recordDeliveries`),
 * which n8n saves when the execution ends, and kept in this process meanwhile. A `webhook()` that
 * throws saves nothing and releases the id: a failed read gets a 500 and FLORA's retry is handled
 * afresh. Test webhooks ("Listen for test event") keep static data for that listen only.
 *
 * The raw body: for this version-1 node n8n reads the body into `req.rawBody` before parsing it
 * (`parseRequestBody` → `parseBody` → `readRawBody`, both lines); it is the bytes FLORA signed.
 */
export async function handleDelivery(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const request = this.getRequestObject();
	const credentials = await this.getCredentials('floraApi');
	const options = this.getNodeParameter('options', {}) as TriggerOptions;

	const check = verifySignature({
		secret: typeof credentials.webhookSecret === 'string' ? credentials.webhookSecret : '',
		header: headerOf(this, SIGNATURE_HEADER),
		rawBody: request.rawBody,
		toleranceSeconds: options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
	});
	if (!check.valid) return refuse(this, 401, check.reason, check.message);

	const event = parseRunEvent(request.rawBody);
	if (typeof event === 'string') return refuse(this, 400, 'invalid_event', event);
	// Repeats are recognised by the body's id, which the signature covers; the header is not signed.
	const deliveryId = event.id;
	const headerId = headerOf(this, DELIVERY_ID_HEADER);
	if (headerId !== undefined && headerId !== deliveryId) {
		return refuse(
			this,
			400,
			'invalid_event',
			'The Flora-Webhook-Id header differs from the event id',
		);
	}

	const events = this.getNodeParameter('events', [...RUN_EVENTS]) as string[];
	if (!events.includes(event.type)) {
		return answer(this, 200, {
			received: true,
			ignored: true,
			message: `${event.type} is not among the events this trigger starts on`,
		});
	}

	const now = Date.now();
	const staticData = this.getWorkflowStaticData('node');
	const log = readDeliveryLog(staticData.deliveries);
	if (hasDelivery(log, deliveryId, now)) {
		return answer(this, 200, {
			received: true,
			duplicate: true,
			message: `Delivery ${deliveryId} was already received; nothing new was started`,
		});
	}
	const scope = `${this.getWorkflow().id ?? ''}:${this.getNode().id}`;
	const claim = claimDelivery(scope, deliveryId, now);
	if (claim === 'accepted') {
		return answer(this, 200, {
			received: true,
			duplicate: true,
			message: `Delivery ${deliveryId} was already received; nothing new was started`,
		});
	}
	if (claim === 'inProgress') {
		// Not 2xx: if the copy in progress fails, FLORA's next try is still handled.
		return refuse(
			this,
			409,
			'delivery_in_progress',
			`Delivery ${deliveryId} is being handled right now; try again later`,
		);
	}
	let item: INodeExecutionData | undefined;
	try {
		item = await eventItem(this, event, options);
	} finally {
		if (item) acceptDelivery(scope, deliveryId, now);
		else releaseDelivery(scope, deliveryId);
	}
	// Assigned, not mutated in place: n8n saves static data when a top-level key is set.
	staticData.deliveries = withDelivery(log, deliveryId, now);
	return { workflowData: [[item]] };
}

/** The delivery id an output item came from: the event's own, or the event beside the run. */
function deliveryIdOf(item: INodeExecutionData): string | undefined {
	const event = (item.json.event as IDataObject | undefined) ?? item.json;
	return typeof event.id === 'string' && event.id.startsWith('whd_') ? event.id : undefined;
}

/**
 * Runs as the execution's first step, with the items `webhook()` returned: writes their delivery
 * ids into the static data of the execution's own workflow, which n8n saves when the execution
 * ends. n8n 2.41.1 saved only the first of the writes `webhook()` made (see handleDelivery), so
 * this is what carries the ids across a restart there.
 */
export async function recordDeliveries(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const staticData = this.getWorkflowStaticData('node');
	let log = readDeliveryLog(staticData.deliveries);
	const now = Date.now();
	for (const item of items) {
		const id = deliveryIdOf(item);
		if (id && !hasDelivery(log, id, now)) log = withDelivery(log, id, now);
	}
	staticData.deliveries = log;
	return [items.map((item, index) => ({ ...item, pairedItem: { item: index } }))];
}
