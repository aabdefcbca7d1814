import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { cancelSignalOf, FloraApiError, floraApiRequest, floraApiTryRequest } from '../transport';
import type { RunStartRequest } from '../transport/idempotency';
import { recoverStartedRun, rememberCreated } from '../transport/idempotency';
import { isToolExecution } from './binary';
import type { ItemProgress } from './errors';
import { itemError } from './errors';
import { runOutputsToBinary } from './outputs';
import {
	LIMITS,
	optionalText,
	validateIdempotencyKey,
	validateNumberInRange,
	validateSourceUrl,
} from './validation';
import { waitFor } from './wait';
import { callbackUrlFor, isWaitingByWebhook, recordStartedRun } from './webhookWait';

// What Generation → Create and Technique → Run share: the options, waiting
// for a run to end, what a failed run means, and the output item.

export const DEFAULT_RUN_TIMEOUT_SECONDS = 600;
const DEFAULT_CONCURRENCY = 2;

/** The Options collection of both operations (names fixed by the node's contract). */
export function runOptions(what: 'generation' | 'technique run'): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Callback URL',
				name: 'callbackUrl',
				type: 'string',
				default: '',
				placeholder: 'https://example.com/flora-callback',
				description:
					'Public HTTPS address FLORA calls (signed) when the run ends, for example a Flora Trigger. Sent as callback_url.',
			},
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				default: DEFAULT_CONCURRENCY,
				typeOptions: { minValue: LIMITS.concurrency.min, maxValue: LIMITS.concurrency.max },
				description:
					'How many items run at the same time. FLORA advises 2 to 4; a rate limit slows all items down together.',
			},
			{
				displayName: 'Download Outputs',
				name: 'downloadOutputs',
				type: 'boolean',
				default: true,
				description:
					'Whether to download each image, video, audio or document output into a binary property (data, data_1, data_2, … in output order). Text outputs stay in the JSON.',
			},
			{
				displayName: 'Idempotency Key',
				name: 'idempotencyKey',
				type: 'string',
				default: '',
				description: `Sent with the start request so FLORA never starts the same ${what} twice (a paid run). Leave empty to derive one from the execution, node and item. Set an expression that stays the same across executions to also be safe under "Retry execution"; change it to start a new run on purpose. At most 255 characters.`,
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeout',
				type: 'number',
				default: DEFAULT_RUN_TIMEOUT_SECONDS,
				typeOptions: { minValue: LIMITS.runTimeout.min, maxValue: LIMITS.runTimeout.max },
				description: `With Wait for Completion on: how long (${LIMITS.runTimeout.min}–${LIMITS.runTimeout.max} seconds) to wait for the run to end before failing the item. The run itself goes on in FLORA.`,
			},
			{
				displayName: 'Wait for Completion',
				name: 'waitForCompletion',
				type: 'boolean',
				default: true,
				hint: 'Turn off to return the run as soon as FLORA accepted it (status pending); get it later with Run → Get',
				description: 'Whether to wait until the run has completed or failed before returning it',
			},
			{
				displayName: 'Wait Mode',
				name: 'waitMode',
				type: 'options',
				default: 'poll',
				options: [
					{
						name: 'Poll',
						value: 'poll',
						description:
							'Ask FLORA for the run every 2 to 5 seconds until it ends; the execution keeps its worker while it waits',
					},
					{
						name: 'Webhook',
						value: 'webhook',
						description:
							"FLORA calls this execution back, signed, when the run ends; the execution waits without holding a worker. Needs the credential's Webhook Secret and an n8n reachable over HTTPS (WEBHOOK_URL).",
					},
				],
				description:
					'How the node learns that the run ended. With Webhook, failed or timed-out runs come out as error items ({ message, error }) on the output.',
			},
		],
	};
}

export interface RunBehaviour {
	waitForCompletion: boolean;
	/** How to learn that the run ended (with waitForCompletion). */
	waitMode: 'poll' | 'webhook';
	timeoutMs: number;
	downloadOutputs: boolean;
	callbackUrl?: string;
	userKey?: string;
}

/** Items in flight at once (Options → Concurrency), validated before any request. */
export function runConcurrency(this: IExecuteFunctions): number {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	return Math.floor(
		validateNumberInRange(
			this,
			0,
			'Concurrency',
			options.concurrency ?? DEFAULT_CONCURRENCY,
			LIMITS.concurrency,
		),
	);
}

/** The Options of one item, checked without sending anything. */
export function readRunBehaviour(context: IExecuteFunctions, itemIndex: number): RunBehaviour {
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const waitMode = options.waitMode ?? 'poll';
	if (waitMode !== 'poll' && waitMode !== 'webhook') {
		throw itemError(
			context,
			itemIndex,
			`Wait Mode must be Poll or Webhook, but it is ${JSON.stringify(waitMode)}`,
			'Set Options → Wait Mode to Poll or Webhook (as an expression: "poll" or "webhook").',
		);
	}
	const waitForCompletion = options.waitForCompletion !== false;
	const userKey = validateIdempotencyKey(context, itemIndex, options.idempotencyKey);
	const timeout = validateNumberInRange(
		context,
		itemIndex,
		'Timeout',
		options.timeout ?? DEFAULT_RUN_TIMEOUT_SECONDS,
		LIMITS.runTimeout,
		' seconds',
	);
	let callbackUrl: string | undefined;
	if (optionalText(context, itemIndex, 'Callback URL', options.callbackUrl) !== undefined) {
		callbackUrl = validateSourceUrl(context, itemIndex, options.callbackUrl, {
			label: 'Callback URL',
			emptyHint: 'Clear Callback URL, or enter the HTTPS address FLORA should call.',
			httpsFix:
				'FLORA only calls public https:// addresses. Use the HTTPS production URL of your webhook (for example of a Flora Trigger), or clear the field.',
		});
	}
	if (callbackUrl && waitMode === 'webhook' && waitForCompletion) {
		throw itemError(
			context,
			itemIndex,
			'Callback URL cannot be set with Wait Mode "Webhook"',
			"In Wait Mode Webhook the node sends this execution's own address as the callback. Clear Options → Callback URL, or set Wait Mode to Poll to send your own.",
		);
	}
	return {
		waitForCompletion,
		waitMode: waitMode === 'webhook' && waitForCompletion ? 'webhook' : 'poll',
		timeoutMs: timeout * 1000,
		downloadOutputs: options.downloadOutputs !== false,
		callbackUrl,
		userKey,
	};
}

// FLORA's docs advise polling every 2–5 s.
const POLL_FIRST_MS = 2_000;
const POLL_STEP_MS = 1_000;
const POLL_MAX_MS = 5_000;

/** The pause before the n-th look at a run (0-based): 2 s, 3 s, 4 s, then 5 s. */
export function pollDelayMs(poll: number): number {
	return Math.min(POLL_MAX_MS, POLL_FIRST_MS + POLL_STEP_MS * Math.max(0, poll));
}

/** What to do about a failed run, by FLORA's `error_code`. */
export function runFailureHint(code: string | undefined): string {
	const c = (code ?? '').toUpperCase();
	if (c.includes('MODERAT')) {
		return "FLORA's content moderation refused this request. Change the prompt or the input (image, text) and run again.";
	}
	if (c.includes('CREDIT') || c.includes('BILLING')) {
		return 'The workspace has run out of FLORA credits. Top up credits in FLORA (workspace billing), then run again.';
	}
	if (c.includes('TIMEOUT') || c.includes('GPU') || c.includes('PROVIDER')) {
		return "The model's provider failed; this is usually temporary. Try again later (a new execution starts a new run), or choose another model.";
	}
	if (c.includes('CANCEL')) {
		return 'The run was cancelled in FLORA. Run it again: a new execution starts a new run (with a fixed Idempotency Key option, change its value).';
	}
	return 'FLORA gave no more detail. Look at the run in FLORA, or try again later.';
}

function percent(progress: unknown): string {
	const n = Number(progress);
	return Number.isFinite(n) ? `${Math.round(n * 100)}%` : 'unknown';
}

export interface RunRef {
	runId: string;
	/** Where to read it: `/runs/{id}` or `/techniques/{id}/runs/{run_id}`. */
	path: string;
}

/** Polls the run until it completes or fails, or the timeout passes. */
export async function waitForRun(
	this: IExecuteFunctions,
	itemIndex: number,
	ref: RunRef,
	timeoutMs: number,
	progress: ItemProgress,
): Promise<IDataObject> {
	const signal = cancelSignalOf(this);
	const deadline = Date.now() + timeoutMs;
	for (let poll = 0; ; poll++) {
		const left = deadline - Date.now();
		await waitFor(Math.max(0, Math.min(left, pollDelayMs(poll))), signal);
		const run = await floraApiRequest.call(this, { method: 'GET', path: ref.path, itemIndex });
		progress.status = run.status;
		if (run.status === 'completed') return run;
		if (run.status === 'failed') throw runFailed(this, itemIndex, ref.runId, run, progress);
		if (Date.now() >= deadline) {
			throw itemError(
				this,
				itemIndex,
				`Run ${ref.runId} did not finish within ${Math.round(timeoutMs / 1000)} s (last status: ${String(run.status)}, progress ${percent(run.progress)})`,
				`FLORA goes on with the run; it is not cancelled and may still be charged. Get its result later with Run → Get (run ID ${ref.runId}), raise Options → Timeout, or turn off Wait for Completion.`,
			);
		}
	}
}

function runFailed(
	context: IExecuteFunctions,
	itemIndex: number,
	runId: string,
	run: IDataObject,
	progress: ItemProgress,
) {
	const code = typeof run.error_code === 'string' ? run.error_code : undefined;
	const message = typeof run.error_message === 'string' ? run.error_message : undefined;
	if (code) progress.error_code = code;
	if (message) progress.error_message = message;
	return itemError(
		context,
		itemIndex,
		`FLORA run ${runId} failed: ${code ?? 'no error code'}${message ? ` (${message})` : ''}`,
		runFailureHint(code),
	);
}

/**
 * The output item of a run: FLORA's run as JSON (the start answer's fields
 * under the final state's), and its media outputs as binary when asked.
 */
export async function runOutputItem(
	this: IExecuteFunctions,
	itemIndex: number,
	accepted: IDataObject,
	final: IDataObject | undefined,
	downloadOutputs: boolean,
): Promise<INodeExecutionData> {
	const json: IDataObject = { ...accepted, ...(final ?? {}) };
	// An AI agent gets the json only (binary data cannot cross to it): the
	// output URLs are what it can use, so nothing is downloaded for it.
	if (!final || !downloadOutputs || isToolExecution(this)) return { json };
	const binary = await runOutputsToBinary.call(this, itemIndex, json);
	return Object.keys(binary).length ? { json, binary } : { json };
}

/** A paid start request (`POST /generate`, `POST /techniques/{id}/runs`) and how to find its run. */
export interface RunStart {
	path: string;
	body: IDataObject;
	key: string;
	recovery: RunStartRequest;
	/** Where a run of this kind is read, e.g. `/runs/{id}`. */
	runPath(runId: string): string;
	/** Where to look for the run in FLORA, for the messages. */
	whereToLook: string;
	/** The item's error when a lost answer's run cannot be identified. */
	notIdentified(): Error;
	/** Set when the run was found after a lost answer rather than started by this request. */
	recovered?: boolean;
}

/**
 * Sends the start request once, whatever happens to the answer: after a lost
 * answer, FLORA's 409 idempotency_duplicate on the retry leads to the run the
 * first try started, never to a second run. Returns the run as FLORA accepted
 * it (or, when recovered, as it is now).
 */
export async function startRunOnce(
	this: IExecuteFunctions,
	itemIndex: number,
	start: RunStart,
): Promise<IDataObject> {
	const startedAt = Date.now();
	const outcome = await floraApiTryRequest.call(this, {
		method: 'POST',
		path: start.path,
		body: start.body,
		idempotencyKey: start.key,
		itemIndex,
	});
	if (outcome.ok) {
		const runId = outcome.body.run_id;
		if (typeof runId !== 'string' || !runId) {
			throw itemError(
				this,
				itemIndex,
				'FLORA accepted the run but sent no run ID',
				`The answer to POST ${start.path} had no run_id, so the run cannot be followed. ${start.whereToLook} Idempotency-Key ${start.key}.`,
			);
		}
		rememberCreated(start.key, runId);
		return outcome.body;
	}
	if (outcome.error.code !== 'idempotency_duplicate') {
		throw new FloraApiError(this, outcome.error, itemIndex);
	}
	const runId = await recoverStartedRun.call(this, itemIndex, start.recovery, start.key, startedAt);
	if (!runId) throw start.notIdentified();
	start.recovered = true;
	rememberCreated(start.key, runId);
	return await floraApiRequest.call(this, {
		method: 'GET',
		path: start.runPath(runId),
		itemIndex,
	});
}

/**
 * The item's output for a started run: at once when not waiting (or already
 * completed), else after waiting for it. `extra` fields go under FLORA's.
 */
export async function followRun(
	this: IExecuteFunctions,
	itemIndex: number,
	accepted: IDataObject,
	runPath: string,
	behaviour: RunBehaviour,
	progress: ItemProgress,
	extra: IDataObject = {},
	recovered = false,
): Promise<INodeExecutionData> {
	const runId = String(accepted.run_id);
	progress.run_id = runId;
	if (behaviour.waitMode === 'webhook' && isWaitingByWebhook(this)) {
		return recordStartedRun(this, itemIndex, accepted, runPath, extra, behaviour, recovered);
	}
	const started = { ...extra, ...accepted };
	const completed = accepted.status === 'completed';
	if (!behaviour.waitForCompletion || completed) {
		return await runOutputItem.call(
			this,
			itemIndex,
			started,
			completed ? accepted : undefined,
			behaviour.downloadOutputs,
		);
	}
	const final = await waitForRun.call(
		this,
		itemIndex,
		{ runId, path: runPath },
		behaviour.timeoutMs,
		progress,
	);
	// The run as FLORA reports it at the end, as Wait Mode "Webhook" outputs it too.
	return await runOutputItem.call(this, itemIndex, extra, final, behaviour.downloadOutputs);
}

/** A start request as an operation describes it; `runAt` has `{run}` where the run ID goes. */
export interface RunToStart extends Omit<RunStart, 'runPath' | 'recovered'> {
	runAt: string;
}

/**
 * Starts the item's run once and follows it: in Wait Mode "Webhook" the start request carries
 * this execution's callback URL. `extra` fields go beside FLORA's run in the output.
 */
export async function startAndFollowRun(
	this: IExecuteFunctions,
	itemIndex: number,
	request: RunToStart,
	behaviour: RunBehaviour,
	progress: ItemProgress,
	extra: IDataObject,
): Promise<INodeExecutionData> {
	const { runAt, ...rest } = request;
	const runPath = (id: string) => runAt.replace('{run}', encodeURIComponent(id));
	const body =
		behaviour.waitMode === 'webhook'
			? { ...rest.body, callback_url: callbackUrlFor(this, itemIndex, runAt, extra, behaviour) }
			: rest.body;
	const start: RunStart = { ...rest, body, runPath };
	const accepted = await startRunOnce.call(this, itemIndex, start);
	return await followRun.call(
		this,
		itemIndex,
		accepted,
		runPath(String(accepted.run_id)),
		behaviour,
		progress,
		extra,
		start.recovered,
	);
}
