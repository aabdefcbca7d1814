import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { locator } from '../shared/flora';
import { NODE_TYPE } from './n8n';

/** The credential every imported workflow uses (ids are 16 characters, as n8n makes them). */
export const SIM_CREDENTIAL = { id: 'floraSimulator01', name: 'FLORA simulator' };

export function simulatorCredential(baseUrl: string, apiKey: string) {
	return { ...SIM_CREDENTIAL, type: 'floraApi', data: { apiKey, baseUrl } };
}

export const EXAMPLE_WORKFLOW_FILE = join(
	__dirname,
	'..',
	'..',
	'examples',
	'generated-image-to-flora.json',
);
export const EXAMPLE_FLORA_NODE = 'Flora: Create Asset';

export interface WorkflowNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
	webhookId?: string;
}

export interface Workflow {
	id: string;
	name: string;
	active: boolean;
	nodes: WorkflowNode[];
	connections: Record<
		string,
		{ main: Array<Array<{ node: string; type: 'main'; index: number }>> }
	>;
	settings: Record<string, unknown>;
	pinData?: Record<string, unknown>;
	[key: string]: unknown;
}

let nodeSeq = 0;
function node(
	name: string,
	type: string,
	typeVersion: number,
	parameters: Record<string, unknown>,
): WorkflowNode {
	nodeSeq++;
	return {
		id: `00000000-0000-4000-8000-${String(nodeSeq).padStart(12, '0')}`,
		name,
		type,
		typeVersion,
		position: [nodeSeq * 220, 0],
		parameters,
	};
}

export const manualTrigger = () => node('Start', 'n8n-nodes-base.manualTrigger', 1, {});

/**
 * A production Webhook trigger (POST) that answers at once ("Immediately"), so the caller does not
 * wait for the run; `webhookId` fixes the node's webhook registration.
 */
export function webhookTrigger(path: string, webhookId: string): WorkflowNode {
	return {
		...node('Webhook', 'n8n-nodes-base.webhook', 2, {
			httpMethod: 'POST',
			path,
			responseMode: 'onReceived',
			options: {},
		}),
		webhookId,
	};
}

export function readFiles(fileSelector: string): WorkflowNode {
	return node('Read Files', 'n8n-nodes-base.readWriteFile', 1, {
		operation: 'read',
		fileSelector,
		options: {},
	});
}

export function code(name: string, jsCode: string): WorkflowNode {
	return node(name, 'n8n-nodes-base.code', 2, { jsCode });
}

/** A Flora node using the simulator credential. */
export function flora(
	name: string,
	parameters: Record<string, unknown>,
	settings: Partial<WorkflowNode> = {},
): WorkflowNode {
	return {
		...node(name, NODE_TYPE, 1, { resource: 'asset', ...parameters }),
		credentials: { floraApi: { ...SIM_CREDENTIAL } },
		...settings,
	};
}

export const workspaceId = (value: string) => locator(value);

/**
 * A workflow whose nodes run one after another, plus extra edges (from → to) for
 * branches; a third value picks the source output (1: the error output).
 */
export function workflow(
	id: string,
	name: string,
	nodes: WorkflowNode[],
	extraEdges: Array<[string, string] | [string, string, number]> = [],
): Workflow {
	const edges: Array<[string, string] | [string, string, number]> = [];
	const chain = nodes.filter((n) => !extraEdges.some(([, to]) => to === n.name));
	for (let i = 1; i < chain.length; i++) edges.push([chain[i - 1].name, chain[i].name]);
	edges.push(...extraEdges);
	const connections: Workflow['connections'] = {};
	for (const [from, to, output = 0] of edges) {
		connections[from] ??= { main: [[]] };
		while (connections[from].main.length <= output) connections[from].main.push([]);
		connections[from].main[output].push({ node: to, type: 'main', index: 0 });
	}
	if (id.length !== 16) throw new Error(`workflow id "${id}" must have 16 characters`);
	// n8n 1.123.0's import:workflow requires a versionId (later releases fill it in).
	return {
		id,
		name,
		active: false,
		versionId: randomUUID(),
		nodes,
		connections,
		settings: { executionOrder: 'v1' },
	};
}

/**
 * The shipped example workflow, made runnable against the simulator: only the
 * workspace (ws_demo) and the credential reference change.
 */
export function exampleWorkflow(
	id: string,
	credential = SIM_CREDENTIAL,
	workspace = 'ws_demo',
): Workflow {
	const wf = JSON.parse(readFileSync(EXAMPLE_WORKFLOW_FILE, 'utf8')) as Workflow;
	const floraNode = wf.nodes.find((n) => n.name === EXAMPLE_FLORA_NODE);
	if (!floraNode) throw new Error(`${EXAMPLE_WORKFLOW_FILE} has no node "${EXAMPLE_FLORA_NODE}"`);
	floraNode.parameters.workspace = workspaceId(workspace);
	floraNode.credentials = { floraApi: { ...credential } };
	return { ...wf, id, active: false, versionId: randomUUID() };
}
