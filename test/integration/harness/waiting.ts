/**
 * A workflow that goes into n8n's waiting state, and the waiting-webhook server that resumes it,
 * on a real socket, following packages/cli (2.41.1):
 *
 * - the first run is n8n-core's WorkflowExecute until the node calls putExecutionToWait; what
 *   n8n would save (the run data, as JSON, status `waiting`, `waitTill`) is kept here;
 * - `POST <webhookWaitingBaseUrl>/<executionId>/<suffix>` is handled as webhooks/waiting-webhooks
 *   does: the execution's resume token (`signature` query parameter) is checked (401), a running,
 *   failed or finished execution answers 409, the node's restart webhook with that path and method
 *   is looked up (404), the saved execution is loaded afresh for each request, its waiting node
 *   disabled and its waiting task popped (preserveInputOverride);
 * - the node's `webhook()` runs in n8n-core's WebhookContext with the saved run data, the request
 *   (rawBody, parsed JSON body, parsed query) and response, and its result is handled as
 *   webhook-helpers' executeWebhook does: `noWebhookResponse` means the node answered; no
 *   `workflowData` means 200 "Webhook call received"; `workflowData` resumes the execution
 *   (prepareExecutionData: the stack's node data becomes it, `forwardAllOutputs`), with
 *   WorkflowExecute.processRunExecutionData to the end. A resume when the execution no longer
 *   waits fails as n8n's ExecutionAlreadyResumingError does (nothing runs); a webhook() that
 *   throws answers 500 and ends the execution with that error.
 *
 * The workflow is Fixture Source → node under test → "After Flora" (a pass-through), plus "Error
 * Output" on the second output when the node's On Error is "continue using error output".
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ExecutionLifecycleHooks, WebhookContext, WorkflowExecute } from 'n8n-core';
import type {
	ExecutionStatus,
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypeDescription,
	IRun,
	IRunExecutionData,
	IWebhookData,
	IWebhookResponseData,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { NodeConnectionTypes, Workflow } from 'n8n-workflow';

import { FloraApi } from '../../../credentials/FloraApi.credentials';
import { Flora } from '../../../nodes/Flora/Flora.node';
import { NODE_TYPE } from '../../shared/flora';
import { HarnessCredentialsHelper } from './credentials-helper';
import type { FixtureItem } from './fixture-source.node';
import {
	FIXTURE_SOURCE_TYPE,
	FixtureSource,
	dropFixtures,
	stageFixtures,
} from './fixture-source.node';
import type { BinaryMode } from './index';
import { baseAdditionalData, loadPackageFromDist, useBinaryMode } from './index';
import { HarnessCredentialTypes, HarnessNodeTypes } from './node-types';
import { expressLike, readBody } from './webhook';

export const SINK_TYPE = 'n8n-nodes-flora-test.sink';
export const NODE_NAME = 'Flora';
export const AFTER_NODE = 'After Flora';
export const ERROR_NODE = 'Error Output';
const SOURCE_NODE = 'Fixture Source';
const WAITING_PATH = '/webhook-waiting';
// n8n-core's WAITING_TOKEN_QUERY_PARAM.
const TOKEN_PARAM = 'signature';

/** Test-only pass-through: shows which items reached the node after the one under test. */
class Sink implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Sink',
		name: 'sink',
		group: ['transform'],
		version: 1,
		description: 'Test-only: outputs its input',
		defaults: { name: 'Sink' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

export interface WaitingRunOptions {
	parameters: INodeParameters;
	items: FixtureItem[];
	credentials: { floraApi: ICredentialDataDecryptedObject };
	/** On Error and the like, for the node under test. */
	nodeSettings?: Partial<INode>;
	binaryMode?: BinaryMode;
	/** What n8n's additionalData says; by default this harness's own server. */
	webhookWaitingBaseUrl?: string;
	/** `dist` runs the class n8n's PackageDirectoryLoader loads from the built package. */
	from?: 'sources' | 'dist';
	/** Time n8n takes to save the execution once the first run ended (it is running until then). */
	saveDelayMs?: number;
}

/** One request to the waiting-webhook server and how it ended. */
export interface WaitingDelivery {
	path: string;
	query: Record<string, string>;
	status: number;
	body: unknown;
	/**
	 * `pending`: webhook() answered and is still at work; `refused`: n8n answered before any webhook() (401 token, 404, 409); `answered`: webhook()
	 * returned no workflowData; `resumed`: its workflowData resumed the execution;
	 * `alreadyResuming`: webhook() returned workflowData but the execution no longer waited;
	 * `threw`: webhook() threw.
	 */
	outcome: 'pending' | 'refused' | 'answered' | 'resumed' | 'alreadyResuming' | 'threw';
	error?: Error;
}

export interface WaitingExecution {
	executionId: string;
	workflowId: string;
	nodeId: string;
	/** `$execution.resumeUrl` as n8n gives it to the node: base, execution ID, resume token. */
	resumeUrl: string;
	resumeToken: string;
	/** The first run, up to the wait (or its end, if it did not wait). */
	first: IRun;
	/** What the node under test output in its first run (shown while the execution waits). */
	firstItems: INodeExecutionData[];
	/** The error the node threw in its first run, if it threw. */
	firstError?: Error;
	status(): ExecutionStatus;
	/** `waitTill` as n8n saved it with the waiting execution. */
	waitTill?: Date;
	deliveries: WaitingDelivery[];
	/** Times the node's webhook() handed n8n workflowData. */
	workflowDataReturned: number;
	/** Runs resumed (processRunExecutionData started). */
	resumes: number;
	/** Resolves with the resumed run when it has ended. */
	resumed: Promise<IRun>;
	/** Last run data: the node under test's outputs of its last task. */
	nodeOutputs(): INodeExecutionData[][];
	/** Items that reached "After Flora" (main output) or "Error Output", over every run. */
	after(): INodeExecutionData[];
	errorOutput(): INodeExecutionData[];
	/** Waits until this many requests have been answered. */
	untilDeliveries(count: number, timeoutMs?: number): Promise<WaitingDelivery[]>;
	/** Waits until the n-th request (0-based) has been answered and handled to the end. */
	settled(index: number, timeoutMs?: number): Promise<WaitingDelivery>;
	close(): Promise<void>;
}

interface SavedExecution {
	mode: WorkflowExecuteMode;
	status: ExecutionStatus;
	finished: boolean;
	/** The run data as n8n's database keeps it (a JSON copy). */
	data: IRunExecutionData;
}

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

async function floraType(from: WaitingRunOptions['from']): Promise<INodeType> {
	if (from !== 'dist') return new Flora();
	const pkg = await loadPackageFromDist();
	return pkg.nodeTypes[NODE_TYPE] as INodeType;
}

/** Like packages/cli's WorkflowHelpers.preserveInputOverride. */
function preserveInputOverride(runDataArray: IRunExecutionData['resultData']['runData'][string]) {
	const popped = runDataArray.pop();
	if (popped?.inputOverride) {
		runDataArray.push({
			startTime: 0,
			executionTime: 0,
			executionIndex: 0,
			source: popped.source,
			inputOverride: popped.inputOverride,
		});
	}
}

function lastOutputs(run: IRun | undefined, nodeName: string): INodeExecutionData[][] {
	const tasks = run?.data.resultData.runData[nodeName] ?? [];
	const last = tasks[tasks.length - 1];
	return (last?.data?.[NodeConnectionTypes.Main] ?? []).map((output) => output ?? []);
}

async function until(check: () => boolean, timeoutMs: number, message: () => string) {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(message());
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

/**
 * Runs Fixture Source → node under test until the execution waits (or ends), and serves its
 * waiting webhooks until `close()`.
 */
export async function startWaitingExecution(opts: WaitingRunOptions): Promise<WaitingExecution> {
	const executionId = String(Math.floor(Math.random() * 1e9) + 1000);
	const workflowId = `waiting-${randomUUID().slice(0, 8)}`;
	const mode: WorkflowExecuteMode = 'webhook';
	const flora = await floraType(opts.from);
	const nodeTypes = new HarnessNodeTypes({
		[NODE_TYPE]: flora,
		[FIXTURE_SOURCE_TYPE]: new FixtureSource(),
		[SINK_TYPE]: new Sink(),
	});
	const credentialTypes = new HarnessCredentialTypes({ floraApi: new FloraApi() });
	const credentialsHelper = new HarnessCredentialsHelper(credentialTypes, opts.credentials);

	const deliveries: WaitingDelivery[] = [];
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	const webhookWaitingBaseUrl =
		opts.webhookWaitingBaseUrl ?? `http://127.0.0.1:${port}${WAITING_PATH}`;

	const nodeId = randomUUID();
	const withErrorOutput = opts.nodeSettings?.onError === 'continueErrorOutput';
	const node = (name: string, type: string, x: number, extra: Partial<INode> = {}): INode => ({
		id: randomUUID(),
		name,
		type,
		typeVersion: 1,
		position: [x, 0],
		parameters: {},
		...extra,
	});
	const workflowData: IWorkflowBase = {
		id: workflowId,
		name: 'Waiting harness',
		active: false,
		isArchived: false,
		activeVersionId: null,
		createdAt: new Date(),
		updatedAt: new Date(),
		nodes: [
			node(SOURCE_NODE, FIXTURE_SOURCE_TYPE, 0, { parameters: { fixtureKey: executionId } }),
			node(NODE_NAME, NODE_TYPE, 250, {
				id: nodeId,
				parameters: structuredClone(opts.parameters),
				credentials: { floraApi: { id: 'cred-floraApi', name: 'floraApi (harness)' } },
				...opts.nodeSettings,
			}),
			node(AFTER_NODE, SINK_TYPE, 500),
			...(withErrorOutput ? [node(ERROR_NODE, SINK_TYPE, 500)] : []),
		],
		connections: {
			[SOURCE_NODE]: {
				main: [[{ node: NODE_NAME, type: NodeConnectionTypes.Main, index: 0 }]],
			},
			[NODE_NAME]: {
				main: [
					[{ node: AFTER_NODE, type: NodeConnectionTypes.Main, index: 0 }],
					...(withErrorOutput
						? [[{ node: ERROR_NODE, type: NodeConnectionTypes.Main, index: 0 }]]
						: []),
				],
			},
		},
		settings: { executionOrder: 'v1' },
	};
	// Saved once the first run has ended; until then the execution is running.
	let saved: SavedExecution | undefined;
	const stored = () => {
		if (!saved) throw new Error('The execution has not been saved yet');
		return saved;
	};
	const runs: IRun[] = [];
	let workflowDataReturned = 0;
	let resumes = 0;
	let settle: (run: IRun) => void = () => {};
	let fail: (error: Error) => void = () => {};
	const resumed = new Promise<IRun>((resolve, reject) => {
		settle = resolve;
		fail = reject;
	});
	// A test that never resumes must not leave an unhandled rejection behind.
	resumed.catch(() => {});

	// As WaitingWebhooks.createWorkflow: a fresh Workflow from the saved workflow data.
	const createWorkflow = () =>
		new Workflow({
			id: workflowId,
			name: workflowData.name,
			nodes: structuredClone(workflowData.nodes),
			connections: structuredClone(workflowData.connections),
			active: false,
			nodeTypes,
			settings: workflowData.settings,
		});
	const additionalDataFor = (): IWorkflowExecuteAdditionalData => {
		const data = baseAdditionalData(credentialsHelper, executionId, workflowId);
		data.webhookWaitingBaseUrl = webhookWaitingBaseUrl;
		data.hooks = new ExecutionLifecycleHooks(mode, executionId, workflowData);
		return data;
	};

	const errorBody = (res: ServerResponse, status: number, message: string) => {
		res.statusCode = status;
		res.setHeader('content-type', 'application/json; charset=utf-8');
		res.end(JSON.stringify({ code: status, message }));
	};

	server.on('request', (req: IncomingMessage, res: ServerResponse) => {
		const chunks: Buffer[] = [];
		const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
		res.end = ((chunk?: unknown, ...rest: unknown[]) => {
			if (chunk !== undefined && typeof chunk !== 'function')
				chunks.push(Buffer.from(chunk as string));
			return end(chunk, ...rest);
		}) as ServerResponse['end'];
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		// Recorded once answered (webhook() may go on after answering); the outcome follows.
		const delivery: WaitingDelivery = {
			path: url.pathname,
			query: Object.fromEntries(url.searchParams),
			status: 0,
			body: undefined,
			outcome: 'pending',
		};
		res.on('finish', () => {
			const text = Buffer.concat(chunks).toString('utf8');
			let body: unknown = text;
			try {
				body = JSON.parse(text);
			} catch {
				// not JSON: keep the text
			}
			Object.assign(delivery, { status: res.statusCode, body });
			deliveries.push(delivery);
		});
		handle(req, res).then(
			({ outcome, error }) => {
				Object.assign(delivery, { outcome, ...(error ? { error } : {}) });
			},
			(error: Error) => {
				Object.assign(delivery, { outcome: 'threw', error });
				if (!res.headersSent) errorBody(res, 500, error.message);
			},
		);
	});

	await useBinaryMode(opts.binaryMode ?? 'default');
	stageFixtures(executionId, opts.items);
	const first = await new WorkflowExecute(additionalDataFor(), mode)
		.run({ workflow: createWorkflow(), startNode: workflowData.nodes[0] })
		.finally(() => dropFixtures(executionId));
	const firstTask = first.data.resultData.runData[NODE_NAME]?.at(-1);
	const firstError = firstTask?.error
		? ((nodeTypes.thrown.at(-1) as Error | undefined) ?? (firstTask.error as Error))
		: undefined;

	if (opts.saveDelayMs) await new Promise((resolve) => setTimeout(resolve, opts.saveDelayMs));
	saved = {
		mode,
		status: first.status,
		finished: first.finished === true,
		data: json(first.data),
	};
	runs.push(first);

	async function resume(runExecutionData: IRunExecutionData, workflow: Workflow) {
		const saved = stored();
		resumes++;
		try {
			const run = await new WorkflowExecute(
				additionalDataFor(),
				saved.mode,
				runExecutionData,
			).processRunExecutionData(workflow);
			runs.push(run);
			saved.status = run.status;
			saved.finished = run.finished === true;
			saved.data = json(run.data);
			settle(run);
		} catch (error) {
			saved.status = 'error';
			fail(error as Error);
		}
	}

	async function handle(
		req: IncomingMessage,
		res: ServerResponse,
	): Promise<Pick<WaitingDelivery, 'outcome' | 'error'>> {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const rawBody = await readBody(req);
		const { request, response } = expressLike(req, res, rawBody);
		Object.assign(request, {
			query: Object.fromEntries(url.searchParams),
			originalUrl: req.url,
		});
		const [, id, ...rest] = url.pathname.slice(WAITING_PATH.length).split('/');
		let suffix = rest.join('/') || undefined;
		if (!url.pathname.startsWith(`${WAITING_PATH}/`) || id !== executionId) {
			errorBody(res, 404, `The execution "${id}" does not exist.`);
			return { outcome: 'refused' };
		}
		// While the first run goes on, n8n's database has the execution as running.
		if (!saved) {
			errorBody(res, 409, `The execution "${executionId}" is running already.`);
			return { outcome: 'refused' };
		}
		// Loaded afresh for every request, as from n8n's database.
		const execution = structuredClone(saved);
		if (execution.data.resumeToken) {
			let token = url.searchParams.get(TOKEN_PARAM) ?? undefined;
			let webhookPath: string | undefined;
			if (token?.includes('/')) {
				webhookPath = token.slice(token.indexOf('/') + 1);
				token = token.slice(0, token.indexOf('/'));
			}
			if (token !== execution.data.resumeToken) {
				response.status(401).json({ error: 'Invalid token' });
				return { outcome: 'refused' };
			}
			if (!suffix && webhookPath) suffix = webhookPath;
		}
		if (execution.status === 'running') {
			errorBody(res, 409, `The execution "${executionId}" is running already.`);
			return { outcome: 'refused' };
		}
		if (execution.data.resultData.error) {
			errorBody(res, 409, `The execution "${executionId}" has finished with error.`);
			return { outcome: 'refused' };
		}
		if (execution.finished) {
			errorBody(res, 409, `The execution "${executionId} has finished already.`);
			return { outcome: 'refused' };
		}

		// getWebhookExecutionData
		const runExecutionData = execution.data;
		const lastNodeExecuted = runExecutionData.resultData.lastNodeExecuted!;
		runExecutionData.executionData!.nodeExecutionStack[0].node.disabled = true;
		runExecutionData.waitTill = undefined;
		preserveInputOverride(runExecutionData.resultData.runData[lastNodeExecuted]);
		const workflow = createWorkflow();
		const startNode = workflow.getNode(lastNodeExecuted);
		if (!startNode) {
			errorBody(res, 404, 'Could not find node to process webhook.');
			return { outcome: 'refused' };
		}
		const nodeType = nodeTypes.getByNameAndVersion(startNode.type, startNode.typeVersion);
		// WebhookService.getNodeWebhooks, restart webhooks only.
		const description = (nodeType.description.webhooks ?? []).find((webhook) => {
			if (webhook.restartWebhook !== true || startNode.disabled) return false;
			const path = String(
				workflow.expression.getSimpleParameterValue(startNode, webhook.path, 'internal', {}),
			)
				.trim()
				.replace(/^\//, '')
				.replace(/\/$/, '');
			return webhook.httpMethod === req.method && path === (suffix ?? '');
		});
		if (!description) {
			errorBody(
				res,
				404,
				`The workflow for execution "${executionId}" does not contain a waiting webhook with a matching path/method.`,
			);
			return { outcome: 'refused' };
		}

		// executeWebhook
		const additionalData = {
			...additionalDataFor(),
			httpRequest: request,
			httpResponse: response,
		} as unknown as IWorkflowExecuteAdditionalData;
		const webhookData: IWebhookData = {
			httpMethod: 'POST',
			node: startNode.name,
			path: suffix ?? '',
			webhookDescription: description,
			workflowId,
			workflowExecuteAdditionalData: additionalData,
		};
		const context = new WebhookContext(
			workflow,
			startNode,
			additionalData,
			execution.mode,
			webhookData,
			[],
			runExecutionData,
		);
		let result: IWebhookResponseData;
		try {
			result = await nodeType.webhook!.call(context);
		} catch (caught) {
			const error = caught as Error;
			if (!res.headersSent) response.status(500).json({ code: 500, message: 'Error in workflow' });
			// n8n resumes with the error recorded, so the execution ends failed.
			if (stored().status === 'waiting') {
				stored().status = 'error';
				stored().data.resultData.error = { message: error.message } as never;
				fail(error);
			}
			return { outcome: 'threw', error };
		}
		if (result.noWebhookResponse && !res.writableEnded) {
			throw new Error('webhook() returned noWebhookResponse without answering the request');
		}
		if (result.workflowData === undefined) {
			if (!result.noWebhookResponse) {
				response
					.status(200)
					.json((result.webhookResponse as IDataObject) ?? { message: 'Webhook call received' });
			}
			return { outcome: 'answered' };
		}
		workflowDataReturned++;
		// ActiveExecutions.add: the update requires the execution still to be waiting.
		if (stored().status !== 'waiting') {
			if (!res.headersSent) {
				errorBody(res, 500, 'There was a problem executing the workflow');
			}
			return { outcome: 'alreadyResuming' };
		}
		stored().status = 'running';
		// prepareExecutionData
		const entry = runExecutionData.executionData!.nodeExecutionStack[0];
		entry.data.main = result.workflowData;
		entry.metadata = { ...entry.metadata, forwardAllOutputs: true };
		if (!res.headersSent) response.status(200).json({ message: 'Workflow was started' });
		void resume(runExecutionData, workflow);
		return { outcome: 'resumed' };
	}

	const resumeToken = first.data.resumeToken ?? '';
	const resumeUrl = new URL(`${webhookWaitingBaseUrl}/${executionId}`);
	if (resumeToken) resumeUrl.searchParams.set(TOKEN_PARAM, resumeToken);

	const over = (name: string) =>
		runs.flatMap((run) =>
			(run.data.resultData.runData[name] ?? []).flatMap(
				(task) => task.data?.[NodeConnectionTypes.Main]?.[0] ?? [],
			),
		);

	return {
		executionId,
		workflowId,
		nodeId,
		resumeUrl: resumeUrl.toString(),
		resumeToken,
		first,
		firstItems: lastOutputs(first, NODE_NAME)[0] ?? [],
		firstError,
		status: () => stored().status,
		waitTill: first.waitTill ?? undefined,
		deliveries,
		get workflowDataReturned() {
			return workflowDataReturned;
		},
		get resumes() {
			return resumes;
		},
		resumed,
		nodeOutputs: () => lastOutputs(runs.at(-1), NODE_NAME),
		after: () => over(AFTER_NODE),
		errorOutput: () => over(ERROR_NODE),
		untilDeliveries: async (count, timeoutMs = 20_000) => {
			await until(
				() => deliveries.length >= count,
				timeoutMs,
				() => {
					return `${deliveries.length} of ${count} requests reached the waiting webhook in ${timeoutMs} ms`;
				},
			);
			return deliveries;
		},
		settled: async (index, timeoutMs = 20_000) => {
			await until(
				() => deliveries[index] !== undefined && deliveries[index].outcome !== 'pending',
				timeoutMs,
				() => `Request ${index + 1} to the waiting webhook was not handled in ${timeoutMs} ms`,
			);
			return deliveries[index];
		},
		close: async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}
