/**
 * The two ways n8n calls the Flora node outside a workflow run, rebuilt with n8n-core's own
 * context classes: the editor's resource-locator lists (`LoadOptionsContext`, as
 * packages/cli's DynamicNodeParametersService builds it) and an AI agent calling the node as a
 * tool (`SupplyDataContext` on an `ai_tool` connection, with n8n-core's `createNodeAsTool` and
 * `makeHandleToolInvocation`, as its getInputConnectionData does).
 */
import { randomUUID } from 'node:crypto';

import { LoadOptionsContext, SupplyDataContext } from 'n8n-core';
import { createNodeAsTool } from 'n8n-core/dist/execution-engine/node-execution-context/utils/create-node-as-tool';
import { makeHandleToolInvocation } from 'n8n-core/dist/execution-engine/node-execution-context/utils/get-input-connection-data';
import type {
	ICredentialDataDecryptedObject,
	IExecuteData,
	INode,
	INodeListSearchResult,
	INodeParameters,
	INodeType,
	IWorkflowExecuteAdditionalData,
	ResourceMapperFields,
} from 'n8n-workflow';
import {
	NodeConnectionTypes,
	NodeHelpers,
	UnexpectedError,
	Workflow,
	createRunExecutionData,
} from 'n8n-workflow';

import { FloraApi } from '../../../credentials/FloraApi.credentials';
import { Flora } from '../../../nodes/Flora/Flora.node';
import { NODE_TYPE } from '../../shared/flora';
import { HarnessCredentialsHelper } from './credentials-helper';
// Also sets up a temporary n8n user folder and quiet logs for this test file.
import { baseAdditionalData } from './index';
import { HarnessCredentialTypes, HarnessNodeTypes } from './node-types';

type FloraCredential = { apiKey: string; baseUrl: string };

function additionalData(
	credentials: FloraCredential,
	currentNodeParameters?: INodeParameters,
): IWorkflowExecuteAdditionalData {
	const credentialTypes = new HarnessCredentialTypes({ floraApi: new FloraApi() });
	const credentialsHelper = new HarnessCredentialsHelper(credentialTypes, {
		floraApi: credentials as unknown as ICredentialDataDecryptedObject,
	});
	return {
		...baseAdditionalData(credentialsHelper, randomUUID(), 'methods-test'),
		currentNodeParameters,
	};
}

function floraNodeType(): INodeType {
	return new Flora();
}

/** The node as the editor holds it: the user's values plus the defaults of every shown parameter. */
function editorNode(name: string, parameters: INodeParameters, nodeType: INodeType): INode {
	const node: INode = {
		id: randomUUID(),
		name,
		type: NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: { floraApi: { id: 'cred-floraApi', name: 'Flora API (test)' } },
	};
	node.parameters =
		NodeHelpers.getNodeParameters(
			nodeType.description.properties,
			{ resource: 'asset', ...parameters },
			true,
			false,
			node,
			nodeType.description,
		) ?? {};
	return node;
}

export interface ListSearchCall {
	method: 'searchWorkspaces' | 'searchProjects' | 'searchModels' | 'searchTechniques';
	/** The node's parameters as set in the editor (defaults are added). */
	parameters: INodeParameters;
	/** Path of the resource locator being opened, e.g. `parameters.additionalFields.projectId`. */
	path?: string;
	filter?: string;
	paginationToken?: string;
	credentials: FloraCredential;
	/** Set as they are, past n8n's defaults and display rules (e.g. a form's Type the node may not show). */
	rawParameters?: INodeParameters;
}

/** Opens a resource locator's list the way n8n's editor backend does. */
export async function listSearch(call: ListSearchCall): Promise<INodeListSearchResult> {
	const nodeType = floraNodeType();
	const node = editorNode('Temp-Node', call.parameters, nodeType);
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: new HarnessNodeTypes({ [NODE_TYPE]: nodeType }),
	});
	const method = nodeType.methods?.listSearch?.[call.method];
	if (typeof method !== 'function')
		throw new UnexpectedError(`No listSearch method ${call.method}`);
	const context = new LoadOptionsContext(
		workflow,
		workflow.nodes['Temp-Node'],
		additionalData(call.credentials, { ...node.parameters, ...call.rawParameters }),
		call.path ?? 'parameters.workspace',
	);
	return await method.call(context, call.filter, call.paginationToken);
}

export interface AgentTool {
	name: string;
	description: string;
	/** Keys the agent must fill (from the parameters' `$fromAI()` calls). */
	argumentNames: string[];
	/** What the agent gets back: the JSON text of the node's output, or a thrown error. */
	invoke(args: Record<string, unknown>): Promise<string>;
}

/**
 * The Flora node attached to an AI agent as a tool: the agent's arguments resolve the
 * parameters' `$fromAI()` expressions and the node runs with `isToolExecution()` true.
 */
export function floraAsTool(parameters: INodeParameters, credentials: FloraCredential): AgentTool {
	const nodeType = floraNodeType();
	const node = editorNode('Flora', parameters, nodeType);
	const agent: INode = {
		id: randomUUID(),
		name: 'AI Agent',
		type: 'test.agent',
		typeVersion: 1,
		position: [200, 0],
		parameters: {},
	};
	const workflow = new Workflow({
		id: `tool-${randomUUID()}`,
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: new HarnessNodeTypes({ [NODE_TYPE]: nodeType }),
	});
	const data = additionalData(credentials);
	const runExecutionData = createRunExecutionData({ resultData: { runData: {} } });
	const executeData: IExecuteData = { node: agent, data: {}, source: null };
	const contextFor = (runIndex: number) =>
		new SupplyDataContext(
			workflow,
			node,
			data,
			'manual',
			runExecutionData,
			runIndex,
			[],
			{},
			NodeConnectionTypes.AiTool,
			executeData,
			[],
			undefined,
			agent,
		);
	const { response: tool } = createNodeAsTool({
		node,
		nodeType,
		handleToolInvocation: makeHandleToolInvocation(contextFor, node, nodeType, runExecutionData),
	});
	const shape = (tool.schema as { shape?: Record<string, unknown> }).shape ?? {};
	return {
		name: tool.name,
		description: tool.description,
		argumentNames: Object.keys(shape).sort(),
		invoke: async (args) => String(await tool.invoke(args)),
	};
}

export interface ResourceMappingCall {
	method: 'getModelParameters' | 'getTechniqueInputs';
	/** The node's parameters as set in the editor (defaults are added). */
	parameters: INodeParameters;
	credentials: FloraCredential;
}

/** Loads a resource mapper's fields the way n8n's editor backend does. */
export async function resourceMapping(call: ResourceMappingCall): Promise<ResourceMapperFields> {
	const nodeType = floraNodeType();
	const node = editorNode('Temp-Node', call.parameters, nodeType);
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: new HarnessNodeTypes({ [NODE_TYPE]: nodeType }),
	});
	const method = nodeType.methods?.resourceMapping?.[call.method];
	if (typeof method !== 'function')
		throw new UnexpectedError(`No resourceMapping method ${call.method}`);
	const context = new LoadOptionsContext(
		workflow,
		workflow.nodes['Temp-Node'],
		additionalData(call.credentials, node.parameters),
		'parameters.' + (call.method === 'getModelParameters' ? 'modelParameters' : 'inputs'),
	);
	return await method.call(context);
}
