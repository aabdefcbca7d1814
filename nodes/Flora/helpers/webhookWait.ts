import { createHmac, timingSafeEqual } from 'crypto';
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { floraApiRequest, normaliseBaseUrl } from '../transport';
import { answer, headerOf, parseRunEvent, refuse } from './callbacks';
import { errorItem, itemError } from './errors';
import type { ItemProgress } from './errors';
import { runOutputsToBinary } from './outputs';
import { runFailureHint } from './runs';
import { DEFAULT_TOLERANCE_SECONDS, SIGNATURE_HEADER, verifySignature } from './signature';
import { waitFor } from './wait';

// Wait Mode "Webhook" of Generation → Create and Technique → Run.
//
// The node starts its runs with this execution's own resume URL as FLORA's callback_url, then puts
// the execution into n8n's waiting state (a restart webhook plus putExecutionToWait, as n8n's
// "send and wait" operations do): no worker slot is held while FLORA renders.
//
// n8n resumes a waiting execution once, and a node's webhook() sees only the request. So what the
// resume needs travels in the callback URL itself, signed with the Webhook Secret: the runs start
// one at a time, and item k's URL names the runs of items 0…k-1 (and its own, by template). The
// callback of the last item's run therefore knows every run of the node run; the callbacks of the
// others are acknowledged and change nothing. When the last item's callback comes, webhook()
// answers FLORA at once, reads every run (waiting, by reading again, for those still rendering,
// up to the Timeout), downloads the outputs, and hands n8n the items the poll mode would output.
//
// What n8n allows at that point: items, not a failed node. A run that failed or did not end in
// time comes out as an error item ({ message, error }) on the main output, as under On Error →
// Continue. If no callback reaches n8n at all, n8n ends the wait itself at Timeout + 5 minutes and,
// as for every waiting node, passes the node's input items on.

/** Items one node run may wait for by webhook: every run is named in the last item's URL. */
export const WEBHOOK_WAIT_MAX_ITEMS = 50;
/** After the node's own Timeout, n8n ends the wait by itself (no callback came at all). */
export const WEBHOOK_WAIT_GRACE_MS = 5 * 60_000;
const MAX_CALLBACK_URL_LENGTH = 8_000;
const STATE_PARAM = 'flora_wait';
const STATE_SIGNATURE_PARAM = 'flora_wait_sig';
const RUN_PLACEHOLDER = '{run}';
const TERMINAL = new Set(['completed', 'failed']);
// A callback's run can read as still running for a moment; then every run is read again.
const REREAD_MS = [1_000, 2_000, 3_000, 5_000];

/** One item as the resume sees it: its run (path and extra fields) or why it has none. */
interface WaitEntry {
	/** Item index. */
	i: number;
	/** Where the run is read, e.g. `/runs/run_…` (`{run}` in an item's own entry). */
	p?: string;
	/** Fields the output has beside FLORA's run (e.g. technique_id). */
	x?: IDataObject;
	/** 1 when media outputs become binary properties. */
	o?: 1;
	/** The item failed before its run started (On Error → Continue): the message. */
	e?: string;
	/** The Timeout of this item, seconds. */
	t: number;
}

/** The state in one callback URL. */
interface WaitState {
	v: 1;
	/** Items of the node run. */
	n: number;
	/** When the wait started (ms since epoch). */
	s: number;
	/** The execution that waits. */
	x: string;
	/** Items 0…k-1. */
	prev: WaitEntry[];
	/** Item k, its run as a template. */
	self: WaitEntry;
}

interface PendingRun {
	accepted: IDataObject;
	runPath: string;
	extra: IDataObject;
}

interface WaitPlan {
	resumeUrl: string;
	executionId: string;
	secret: string;
	itemCount: number;
	startedAt: number;
	longestTimeoutMs: number;
	entries: WaitEntry[];
	pending: Map<number, PendingRun>;
	/** A run was recovered after a lost answer: its callback may go elsewhere, so poll instead. */
	pollInstead: boolean;
	/** The last item's own run was started with the URL naming every other run. */
	lastCallsBack: boolean;
}

const plans = new WeakMap<object, WaitPlan>();

export interface WebhookWaitItem {
	timeoutMs: number;
	downloadOutputs: boolean;
}

function isLoopbackHost(hostname: string): boolean {
	return (
		hostname === 'localhost' ||
		/^127\.\d+\.\d+\.\d+$/.test(hostname) ||
		hostname === '[::1]' ||
		hostname === '::1'
	);
}

/**
 * Checks, before any request, that FLORA can call this execution back, and sets up the node
 * run's wait. Throws an error naming what to set.
 */
export async function planWebhookWait(
	context: IExecuteFunctions,
	itemCount: number,
	timeouts: number[],
): Promise<void> {
	if (itemCount > WEBHOOK_WAIT_MAX_ITEMS) {
		throw itemError(
			context,
			WEBHOOK_WAIT_MAX_ITEMS,
			`Wait Mode "Webhook" waits for at most ${WEBHOOK_WAIT_MAX_ITEMS} items per node run; this run has ${itemCount}`,
			`Nothing was started. Put a Loop Over Items node (batch size ${WEBHOOK_WAIT_MAX_ITEMS} or less) before this node, or set Options → Wait Mode to Poll.`,
		);
	}
	const credentials = await context.getCredentials('floraApi');
	const secret =
		typeof credentials.webhookSecret === 'string' ? credentials.webhookSecret.trim() : '';
	if (!secret) {
		throw itemError(
			context,
			0,
			'Wait Mode "Webhook" needs the Webhook Secret of the Flora API credential',
			'Nothing was started. FLORA signs its callbacks with the workspace webhook signing secret (whsec_…, shown in FLORA with the API key): add it to the credential, or set Options → Wait Mode to Poll.',
		);
	}
	let resumeUrl: URL;
	try {
		resumeUrl = new URL(String(context.evaluateExpression('{{ $execution.resumeUrl }}', 0)));
	} catch {
		throw itemError(
			context,
			0,
			'Wait Mode "Webhook" needs n8n to give this execution a resume URL, and it gave none',
			'Nothing was started. Run the workflow in n8n (not as an AI tool or a sub-process without executions), or set Options → Wait Mode to Poll.',
		);
	}
	const baseIsLocal = (() => {
		try {
			return isLoopbackHost(new URL(normaliseBaseUrl(credentials.baseUrl)).hostname);
		} catch {
			return false;
		}
	})();
	const reachable = resumeUrl.protocol === 'https:' && !isLoopbackHost(resumeUrl.hostname);
	if (!reachable && !baseIsLocal) {
		throw itemError(
			context,
			0,
			`Wait Mode "Webhook" needs an n8n address FLORA can reach, but n8n's webhook address is ${resumeUrl.origin}`,
			"Nothing was started. FLORA calls only public https:// addresses. Set n8n's WEBHOOK_URL environment variable to its public HTTPS address (for example https://n8n.example.com/) and restart n8n, or set Options → Wait Mode to Poll.",
		);
	}
	resumeUrl.pathname = `${resumeUrl.pathname.replace(/\/+$/, '')}/${encodeURIComponent(context.getNode().id)}`;
	plans.set(context, {
		resumeUrl: resumeUrl.toString(),
		executionId: context.getExecutionId(),
		secret,
		itemCount,
		startedAt: Date.now(),
		longestTimeoutMs: Math.max(0, ...timeouts),
		entries: [],
		pending: new Map(),
		pollInstead: false,
		lastCallsBack: false,
	});
}

export function isWaitingByWebhook(context: IExecuteFunctions): boolean {
	return plans.has(context);
}

function planOf(context: IExecuteFunctions): WaitPlan {
	const plan = plans.get(context);
	if (!plan) throw new Error('No webhook wait was planned for this node run');
	return plan;
}

function encodeState(state: WaitState): string {
	return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

/** Binds the state to the node it was made for; keyed with the Webhook Secret. */
function stateSignature(secret: string, nodeId: string, encoded: string): string {
	return createHmac('sha256', secret).update(`flora-wait\n${nodeId}\n${encoded}`).digest('hex');
}

/**
 * The callback_url of item `itemIndex`: the resume URL with the runs started so far. `runPath`
 * has `{run}` where the run ID goes.
 */
export function callbackUrlFor(
	context: IExecuteFunctions,
	itemIndex: number,
	runPath: string,
	extra: IDataObject,
	item: WebhookWaitItem,
): string {
	const plan = planOf(context);
	const self: WaitEntry = { i: itemIndex, p: runPath, t: Math.round(item.timeoutMs / 1000) };
	if (Object.keys(extra).length) self.x = extra;
	if (item.downloadOutputs) self.o = 1;
	const state: WaitState = {
		v: 1,
		n: plan.itemCount,
		s: plan.startedAt,
		x: plan.executionId,
		prev: plan.entries.filter((entry) => entry.i < itemIndex),
		self,
	};
	const url = new URL(plan.resumeUrl);
	const encoded = encodeState(state);
	url.searchParams.set(STATE_PARAM, encoded);
	url.searchParams.set(
		STATE_SIGNATURE_PARAM,
		stateSignature(plan.secret, context.getNode().id, encoded),
	);
	const text = url.toString();
	if (text.length > MAX_CALLBACK_URL_LENGTH) {
		throw itemError(
			context,
			itemIndex,
			`The callback URL for item ${itemIndex + 1} would be ${text.length} characters long, more than FLORA is sent (${MAX_CALLBACK_URL_LENGTH})`,
			'Nothing was started for this item. Wait for fewer items per node run (a Loop Over Items node with a smaller batch before this node), or set Options → Wait Mode to Poll.',
		);
	}
	return text;
}

/** Records a started run; the returned item is what the execution shows while it waits. */
export function recordStartedRun(
	context: IExecuteFunctions,
	itemIndex: number,
	accepted: IDataObject,
	runPath: string,
	extra: IDataObject,
	item: WebhookWaitItem,
	recovered: boolean,
): INodeExecutionData {
	const plan = planOf(context);
	const entry: WaitEntry = { i: itemIndex, p: runPath, t: Math.round(item.timeoutMs / 1000) };
	if (Object.keys(extra).length) entry.x = extra;
	if (item.downloadOutputs) entry.o = 1;
	plan.entries.push(entry);
	plan.entries.sort((a, b) => a.i - b.i);
	plan.pending.set(itemIndex, { accepted, runPath, extra });
	if (recovered) plan.pollInstead = true;
	if (itemIndex === plan.itemCount - 1) plan.lastCallsBack = true;
	return { json: { ...extra, ...accepted } };
}

/**
 * Records an item that shares an earlier item's run (same Idempotency Key, same request): it is
 * output from that run too. Its run was started with the earlier item's URL, so when it is the
 * last item no callback names every run, and the node run follows the runs by polling instead.
 */
export function recordSameRun(context: IExecuteFunctions, itemIndex: number, firstIndex: number) {
	const plan = plans.get(context);
	const first = plan?.entries.find((entry) => entry.i === firstIndex);
	const pending = plan?.pending.get(firstIndex);
	if (!plan || !first) return;
	plan.entries.push({ ...first, i: itemIndex });
	plan.entries.sort((a, b) => a.i - b.i);
	if (pending) plan.pending.set(itemIndex, pending);
}

/** Records an item that failed before its run started (On Error → Continue). */
export function recordStartFailure(context: IExecuteFunctions, itemIndex: number, error: unknown) {
	const plan = plans.get(context);
	if (!plan || plan.entries.some((entry) => entry.i === itemIndex)) return;
	const message = String((error as Error)?.message ?? error).slice(0, 300);
	plan.entries.push({ i: itemIndex, e: message, t: 0 });
	plan.entries.sort((a, b) => a.i - b.i);
}

/**
 * After every item started: `wait` when the execution can wait for the last item's callback;
 * `poll` (with the runs to follow) when it cannot — a run was recovered after a lost answer, so
 * its callback goes to the execution that first started it, or the last item has no run.
 */
export function webhookWaitOutcome(
	context: IExecuteFunctions,
): { kind: 'wait'; waitTill: Date } | { kind: 'poll'; runs: Map<number, PendingRun> } | undefined {
	const plan = plans.get(context);
	if (!plan) return undefined;
	plans.delete(context);
	if (plan.pending.size === 0) return undefined;
	if (plan.pollInstead || !plan.lastCallsBack) return { kind: 'poll', runs: plan.pending };
	return {
		kind: 'wait',
		waitTill: new Date(Date.now() + plan.longestTimeoutMs + WEBHOOK_WAIT_GRACE_MS),
	};
}

function decodeState(encoded: string): WaitState | undefined {
	try {
		const state = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as WaitState;
		if (state?.v !== 1 || !Array.isArray(state.prev) || !state.self) return undefined;
		return state;
	} catch {
		return undefined;
	}
}

function safeEqualHex(a: string, b: string): boolean {
	const x = Buffer.from(a, 'utf8');
	const y = Buffer.from(b, 'utf8');
	return x.length === y.length && timingSafeEqual(x, y);
}

// One resume per execution in this process: a second delivery of the last item's callback
// while the first is being handled changes nothing.
const resuming = new Set<string>();

/**
 * webhook() of the Flora node: a run callback for an execution waiting in Wait Mode "Webhook".
 * Bad signatures get 401 and the execution keeps waiting.
 */
export async function resumeOnRunCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const request = this.getRequestObject();
	const credentials = await this.getCredentials('floraApi');
	const secret =
		typeof credentials.webhookSecret === 'string' ? credentials.webhookSecret.trim() : '';
	const check = verifySignature({
		secret,
		header: headerOf(this, SIGNATURE_HEADER),
		rawBody: request.rawBody,
		toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
	});
	if (!check.valid) return refuse(this, 401, check.reason, check.message);
	const event = parseRunEvent(request.rawBody);
	if (typeof event === 'string') return refuse(this, 400, 'invalid_event', event);

	const query = this.getQueryData() as IDataObject;
	const encoded = typeof query[STATE_PARAM] === 'string' ? (query[STATE_PARAM] as string) : '';
	const signature =
		typeof query[STATE_SIGNATURE_PARAM] === 'string'
			? (query[STATE_SIGNATURE_PARAM] as string)
			: '';
	const path = new URL(request.originalUrl || request.url || '/', 'http://n8n.invalid').pathname;
	const state = encoded ? decodeState(encoded) : undefined;
	if (
		!state ||
		!signature ||
		!safeEqualHex(signature, stateSignature(secret, this.getNode().id, encoded)) ||
		!path.split('/').includes(state.x)
	) {
		return refuse(
			this,
			400,
			'invalid_callback_url',
			'This callback URL was not made by the Flora node for this execution',
		);
	}
	const self: WaitEntry = {
		...state.self,
		p: String(state.self.p).replace(RUN_PLACEHOLDER, encodeURIComponent(event.data.run_id)),
	};
	const entries = [...state.prev, self].sort((a, b) => a.i - b.i);
	if (state.self.i !== state.n - 1) {
		// An earlier item's run: the last item's callback resumes the execution for all of them.
		return answer(this, 200, { received: true, resumed: false });
	}
	const executionId = state.x;
	if (resuming.has(executionId)) {
		return answer(this, 200, { received: true, resumed: false, duplicate: true });
	}
	resuming.add(executionId);
	try {
		// FLORA waits for a quick answer and retries otherwise; the reading happens after it.
		answer(this, 200, { received: true, resumed: true });
		const items = await outputItems(this, entries, state.s);
		return { noWebhookResponse: true, workflowData: [items] };
	} finally {
		resuming.delete(executionId);
	}
}

function percent(progress: unknown): string {
	const n = Number(progress);
	return Number.isFinite(n) ? `${Math.round(n * 100)}%` : 'unknown';
}

/** Reads every run until each has ended or its Timeout passed, then builds the output items. */
async function outputItems(
	context: IWebhookFunctions,
	entries: WaitEntry[],
	startedAt: number,
): Promise<INodeExecutionData[]> {
	const runs = new Map<number, IDataObject>();
	// n8n has already been answered: every failure from here on becomes the item's error item,
	// since a webhook() that throws now would fail the execution without its items.
	const failures = new Map<number, unknown>();
	const read = async (entry: WaitEntry) => {
		try {
			runs.set(
				entry.i,
				await floraApiRequest.call(context, {
					method: 'GET',
					path: String(entry.p),
					itemIndex: entry.i,
				}),
			);
		} catch (error) {
			failures.set(entry.i, error);
		}
	};
	// The API request has already retried what is worth retrying: a read that failed is final.
	const open = () =>
		entries.filter(
			(entry) =>
				entry.p && !failures.has(entry.i) && !TERMINAL.has(String(runs.get(entry.i)?.status)),
		);
	for (const entry of entries) if (entry.p) await read(entry);
	for (let round = 0; open().length; round++) {
		const now = Date.now();
		const waiting = open().filter((entry) => now < startedAt + entry.t * 1000);
		if (!waiting.length) break;
		const nextDeadline = Math.min(...waiting.map((entry) => startedAt + entry.t * 1000));
		await waitFor(
			Math.max(0, Math.min(REREAD_MS[Math.min(round, REREAD_MS.length - 1)], nextDeadline - now)),
		);
		for (const entry of open()) await read(entry);
	}
	const items: INodeExecutionData[] = [];
	for (const entry of entries) {
		const failure = failures.get(entry.i);
		const run = runs.get(entry.i);
		try {
			if (failure !== undefined) throw failure;
			items.push(await outputItem(context, entry, run));
		} catch (error) {
			items.push(errorItem(error, entry.i, run ? { run_id: run.run_id, status: run.status } : {}));
		}
	}
	return items;
}

async function outputItem(
	context: IWebhookFunctions,
	entry: WaitEntry,
	run: IDataObject | undefined,
): Promise<INodeExecutionData> {
	const index = entry.i;
	if (!entry.p || !run) {
		const error = itemError(
			context,
			index,
			entry.e ?? 'The run of this item was not started',
			'The item failed before its run started; nothing was charged for it.',
		);
		return errorItem(error, index);
	}
	const runId = String(run.run_id ?? '');
	const progress: ItemProgress = { run_id: runId, status: run.status };
	if (run.status === 'completed') {
		const json: IDataObject = { ...(entry.x ?? {}), ...run };
		if (entry.o) {
			const binary = await runOutputsToBinary.call(context, index, json);
			if (Object.keys(binary).length) return { json, binary, pairedItem: { item: index } };
		}
		return { json, pairedItem: { item: index } };
	}
	if (run.status === 'failed') {
		const code = typeof run.error_code === 'string' ? run.error_code : undefined;
		const message = typeof run.error_message === 'string' ? run.error_message : undefined;
		if (code) progress.error_code = code;
		if (message) progress.error_message = message;
		const error = itemError(
			context,
			index,
			`FLORA run ${runId} failed: ${code ?? 'no error code'}${message ? ` (${message})` : ''}`,
			runFailureHint(code),
		);
		return errorItem(error, index, progress);
	}
	const error = itemError(
		context,
		index,
		`Run ${runId} did not finish within ${entry.t} s (last status: ${String(run.status)}, progress ${percent(run.progress)})`,
		`FLORA goes on with the run; it is not cancelled and may still be charged. Get its result later with Run → Get (run ID ${runId}), raise Options → Timeout, or set Options → Wait Mode to Poll.`,
	);
	return errorItem(error, index, progress);
}
