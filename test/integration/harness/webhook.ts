/**
 * A webhook trigger served the way n8n serves a production webhook, on a real socket: the body
 * is read into `rawBody` and JSON-parsed into `body` (n8n's rawBodyReader + parseBody), the
 * trigger's `webhook()` runs in n8n-core's own WebhookContext, and its result is handled as
 * packages/cli's webhook-helpers does: `noWebhookResponse` means the node answered, no
 * `workflowData` means 200 "Webhook call received", `workflowData` starts an execution (recorded
 * here) and answers 200 "Workflow was started"; a thrown error answers 500.
 *
 * Static data follows packages/cli's live webhooks: each request builds its Workflow from the
 * saved static data, which is saved back (as JSON, like the database column) only when the
 * webhook returned without throwing and the data changed. A new host given `staticData` is an
 * n8n restart.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { WebhookContext } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	IWebhookData,
	IWebhookResponseData,
} from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { FloraApi } from '../../../credentials/FloraApi.credentials';
import { FloraTrigger } from '../../../nodes/FloraTrigger/FloraTrigger.node';
import { HarnessCredentialsHelper } from './credentials-helper';
import type { BinaryMode } from './index';
import { baseAdditionalData, loadPackageFromDist, useBinaryMode } from './index';
import { HarnessCredentialTypes, HarnessNodeTypes } from './node-types';

export const TRIGGER_TYPE = 'n8n-nodes-flora.floraTrigger';

export interface TriggerHostOptions {
	parameters?: INodeParameters;
	credentials: { floraApi: ICredentialDataDecryptedObject };
	/** Static data as saved by an earlier host (an n8n restart); default none. */
	staticData?: IDataObject;
	/** `dist` serves the class n8n's PackageDirectoryLoader loads from the built package. */
	from?: 'sources' | 'dist';
	/** Keeps the same workflow and node identity across hosts (a restart). */
	workflowId?: string;
	nodeId?: string;
	binaryMode?: BinaryMode;
	/** Loads the node's code afresh, as a restarted n8n process would (nothing kept in memory). */
	freshProcess?: boolean;
}

/** One request the trigger received, as its caller saw it. */
export interface Delivery {
	status: number;
	body: unknown;
	headers: IncomingMessage['headers'];
	/** Items of the execution this request started, if it started one. */
	started?: INodeExecutionData[];
	error?: Error;
}

export interface TriggerHost {
	/** The trigger's production webhook URL. */
	url: string;
	workflowId: string;
	nodeId: string;
	deliveries: Delivery[];
	/** Output items of every execution started, in order. */
	executions: INodeExecutionData[][];
	/** What n8n would have written to the workflow's staticData column. */
	savedStaticData(): IDataObject;
	close(): Promise<void>;
}

const NODE_NAME = 'Flora Trigger';

async function triggerType(opts: TriggerHostOptions): Promise<INodeType> {
	const { from, freshProcess } = opts;
	if (freshProcess && from !== 'dist') {
		let fresh: INodeType | undefined;
		jest.isolateModules(() => {
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			const module = require('../../../nodes/FloraTrigger/FloraTrigger.node') as {
				FloraTrigger: new () => INodeType;
			};
			fresh = new module.FloraTrigger();
		});
		return fresh!;
	}
	if (from !== 'dist') return new FloraTrigger();
	const pkg = await loadPackageFromDist();
	return pkg.nodeTypes[TRIGGER_TYPE] as INodeType;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

/** The parts of Express's request and response that n8n gives a webhook (also used by waiting.ts). */
export function expressLike(req: IncomingMessage, res: ServerResponse, rawBody: Buffer) {
	const contentType = String(req.headers['content-type'] ?? '').split(';')[0];
	let body: unknown = {};
	if (contentType === 'application/json' && rawBody.length) {
		try {
			body = JSON.parse(rawBody.toString('utf8'));
		} catch {
			body = {};
		}
	}
	const request = Object.assign(req, {
		rawBody,
		body,
		contentType,
		params: {},
		query: {},
		header: (name: string) => req.headers[name.toLowerCase()],
	});
	const response = Object.assign(res, {
		status(code: number) {
			res.statusCode = code;
			return response;
		},
		json(value: unknown) {
			res.setHeader('content-type', 'application/json; charset=utf-8');
			res.end(JSON.stringify(value));
			return response;
		},
		send(value: unknown) {
			res.end(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
			return response;
		},
	});
	return { request, response };
}

export async function startTriggerHost(opts: TriggerHostOptions): Promise<TriggerHost> {
	const workflowId = opts.workflowId ?? `trigger-${randomUUID().slice(0, 8)}`;
	const nodeId = opts.nodeId ?? randomUUID();
	const webhookId = randomUUID();
	const nodeType = await triggerType(opts);
	await useBinaryMode(opts.binaryMode ?? 'default');
	const nodeTypes = new HarnessNodeTypes({ [TRIGGER_TYPE]: nodeType });
	const credentialTypes = new HarnessCredentialTypes({ floraApi: new FloraApi() });
	const credentialsHelper = new HarnessCredentialsHelper(credentialTypes, opts.credentials);
	const node: INode = {
		id: nodeId,
		name: NODE_NAME,
		type: TRIGGER_TYPE,
		typeVersion: 1,
		position: [0, 0],
		webhookId,
		parameters: structuredClone(opts.parameters ?? {}),
		credentials: { floraApi: { id: 'cred-floraApi', name: 'floraApi (harness)' } },
	};
	let saved: IDataObject = structuredClone(opts.staticData ?? {});
	const deliveries: Delivery[] = [];
	const executions: INodeExecutionData[][] = [];

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<Delivery> {
		const rawBody = await readBody(req);
		const { request, response } = expressLike(req, res, rawBody);
		const workflow = new Workflow({
			id: workflowId,
			name: 'Flora Trigger host',
			nodes: [structuredClone(node)],
			connections: {},
			active: true,
			nodeTypes,
			staticData: structuredClone(saved),
			settings: { executionOrder: 'v1' },
		});
		const additionalData = {
			...baseAdditionalData(credentialsHelper, '', workflowId),
			executionId: undefined,
			httpRequest: request,
			httpResponse: response,
		} as unknown as IWebhookData['workflowExecuteAdditionalData'];
		const webhookData: IWebhookData = {
			httpMethod: 'POST',
			node: NODE_NAME,
			path: `${webhookId}/flora`,
			webhookDescription: nodeType.description.webhooks![0],
			workflowId,
			workflowExecuteAdditionalData: additionalData,
			webhookId,
		};
		const context = new WebhookContext(
			workflow,
			workflow.getNode(NODE_NAME)!,
			additionalData,
			'webhook',
			webhookData,
			[],
			null,
		);
		let result: IWebhookResponseData;
		try {
			result = await nodeType.webhook!.call(context);
		} catch (caught) {
			const error = caught as Error;
			response.status(500).json({ code: 500, message: 'Error in workflow' });
			return { status: 500, body: undefined, headers: {}, error };
		}
		const staticData = workflow.staticData as IDataObject & { __dataChanged?: boolean };
		if (staticData.__dataChanged === true) saved = JSON.parse(JSON.stringify(staticData));

		if (result.noWebhookResponse) {
			if (!res.writableEnded) {
				throw new Error('webhook() returned noWebhookResponse without answering the request');
			}
			return { status: res.statusCode, body: undefined, headers: {} };
		}
		if (!result.workflowData) {
			response.status(200).json(result.webhookResponse ?? { message: 'Webhook call received' });
			return { status: 200, body: undefined, headers: {} };
		}
		const items = result.workflowData[0] ?? [];
		executions.push(items);
		response.status(200).json({ message: 'Workflow was started' });
		return { status: 200, body: undefined, headers: {}, started: items };
	}

	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
		// Keep what the caller received, whoever wrote it (the node or the host).
		res.end = ((chunk?: unknown, ...rest: unknown[]) => {
			if (chunk !== undefined && typeof chunk !== 'function')
				chunks.push(Buffer.from(chunk as string));
			return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
		}) as ServerResponse['end'];
		handle(req, res).then(
			(delivery) => {
				const text = Buffer.concat(chunks).toString('utf8');
				let body: unknown = text;
				try {
					body = JSON.parse(text);
				} catch {
					// not JSON: keep the text
				}
				deliveries.push({ ...delivery, body, headers: res.getHeaders() as Delivery['headers'] });
			},
			(error: Error) => {
				deliveries.push({ status: 0, body: undefined, headers: {}, error });
				if (!res.writableEnded) res.destroy(error);
			},
		);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;

	return {
		url: `http://127.0.0.1:${port}/webhook/${webhookId}/flora`,
		workflowId,
		nodeId,
		deliveries,
		executions,
		savedStaticData: () => structuredClone(saved),
		close: async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}
