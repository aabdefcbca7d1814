/**
 * In-process n8n harness: runs a real workflow (fixture source → node under test) through
 * n8n-core's WorkflowExecute, its lifecycle hooks, request helpers (real sockets) and
 * BinaryDataService. Only what n8n keeps in its CLI package (credential storage, node type
 * registry, additionalData) is rebuilt here, following packages/cli.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { Container } from '@n8n/di';
import {
	BinaryDataConfig,
	BinaryDataService,
	ExecuteContext,
	ExecutionLifecycleHooks,
	ExternalSecretsProxy,
	PackageDirectoryLoader,
	RoutingNode,
	WorkflowExecute,
} from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	ICredentialsDecrypted,
	IDataObject,
	IExecuteData,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	IRun,
	IRunExecutionData,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import {
	BINARY_ENCODING,
	NodeConnectionTypes,
	UnexpectedError,
	Workflow,
	createRunExecutionData,
} from 'n8n-workflow';

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
import { HarnessCredentialTypes, HarnessNodeTypes } from './node-types';
import { PROBE_TYPE, Probe } from './probe.node';

export type { FixtureItem } from './fixture-source.node';

export type BinaryMode = 'default' | 'filesystem';

export interface RunOptions {
	/** Full node type, e.g. `n8n-nodes-flora.flora`. */
	nodeType: string;
	parameters: INodeParameters;
	/** Emitted by the test-only source node that feeds the node under test. */
	items: FixtureItem[];
	/** Credential data by credential type, e.g. `{ floraApi: { apiKey, baseUrl } }`. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	binaryMode?: BinaryMode;
	/** continueOnFail / onError, retryOnFail, maxTries, waitBetweenTries, name... */
	nodeSettings?: Partial<INode>;
	executionId?: string;
	/** Defaults to one derived from the execution ID; set it to run one workflow in several executions. */
	workflowId?: string;
	/** Cancel the execution this many ms after it starts, as n8n's "stop execution" does. */
	abortAfterMs?: number;
	/** `dist` runs the classes n8n's PackageDirectoryLoader loads from the built package. */
	from?: 'sources' | 'dist';
	/** How long a cancelled node may take to stop before the run fails; default 10 s. */
	cancelGraceMs?: number;
}

export interface RunResult {
	/** Output items (main[0]) of the node under test, binary metadata included. */
	items: INodeExecutionData[];
	outputs: INodeExecutionData[][];
	/** The instance the node threw when the execution failed, else n8n's recorded copy. */
	error?: Error;
	run: IRun;
	durationMs: number;
	cancelled: boolean;
}

export interface LoadedPackage {
	packageName: string;
	directory: string;
	loader: PackageDirectoryLoader;
	/** By full node type, e.g. `n8n-nodes-flora.flora`. */
	nodeTypes: Record<string, INodeType | IVersionedNodeType>;
	credentialTypes: Record<string, ICredentialType>;
}

const projectRoot = resolve(__dirname, '../../..');
const SOURCE_NODE_NAME = 'Fixture Source';

// n8n's InstanceSettings writes <user folder>/.n8n/config on first use; keep it out of $HOME.
// Config classes read the environment when first resolved, so this must precede any Container.get.
const harnessRoot = mkdtempSync(join(tmpdir(), 'n8n-flora-harness-'));
const binaryStoragePath = join(harnessRoot, 'binary-data');
const savedEnv = {
	N8N_USER_FOLDER: process.env.N8N_USER_FOLDER,
	N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL,
};
process.env.N8N_USER_FOLDER = join(harnessRoot, 'user');
// n8n logs every node error through its ErrorReporter; set N8N_LOG_LEVEL=debug to see them.
process.env.N8N_LOG_LEVEL ??= 'silent';
mkdirSync(process.env.N8N_USER_FOLDER, { recursive: true });

/**
 * Removes the temporary user folder and binary storage. Binary data of every run in this test
 * file stays readable (`readBinary`) until then; runs are kept apart by execution id.
 */
export function cleanupHarness(): void {
	rmSync(harnessRoot, { recursive: true, force: true });
	for (const [key, value] of Object.entries(savedEnv)) {
		if (value === undefined) delete process.env[key];
		else process.env[key] = value;
	}
}

declare const afterAll: ((fn: () => void) => void) | undefined;
if (typeof afterAll === 'function') afterAll(cleanupHarness);

function sourceNodeTypes(): Record<string, INodeType | IVersionedNodeType> {
	return { [NODE_TYPE]: new Flora() };
}

function sourceCredentialTypes(): Record<string, ICredentialType> {
	return { floraApi: new FloraApi() };
}

function testOnlyNodeTypes(): Record<string, INodeType> {
	return { [FIXTURE_SOURCE_TYPE]: new FixtureSource(), [PROBE_TYPE]: new Probe() };
}

export async function useBinaryMode(mode: BinaryMode): Promise<void> {
	const config = Container.get(BinaryDataConfig);
	config.mode = mode;
	config.localStoragePath = binaryStoragePath;
	// init() picks the manager for config.mode; 'default' has none, so data stays inline base64.
	await Container.get(BinaryDataService).init();
}

/** What n8n's CLI hands the engine for one execution; shared with the load-options tests. */
export function baseAdditionalData(
	credentialsHelper: HarnessCredentialsHelper,
	executionId: string,
	workflowId: string,
): IWorkflowExecuteAdditionalData {
	const unsupported = (what: string) => async () => {
		throw new UnexpectedError(`${what} is not available in the test harness`);
	};
	return {
		credentialsHelper,
		executionId,
		workflowId,
		userId: 'harness-user',
		currentNodeExecutionIndex: 0,
		variables: {},
		restApiUrl: 'http://localhost:5678/rest',
		instanceBaseUrl: 'http://localhost:5678/',
		formBaseUrl: 'http://localhost:5678/form',
		formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
		formTestBaseUrl: 'http://localhost:5678/form-test',
		webhookBaseUrl: 'http://localhost:5678/webhook',
		webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
		mcpBaseUrl: 'http://localhost:5678/mcp',
		mcpTestBaseUrl: 'http://localhost:5678/mcp-test',
		externalSecretsProxy: Container.get(ExternalSecretsProxy),
		executeWorkflow: unsupported('executeWorkflow'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		startRunnerTask: unsupported('startRunnerTask'),
		logAiEvent: () => {},
	} as IWorkflowExecuteAdditionalData;
}

function latestVersion(type: INodeType | IVersionedNodeType): number {
	if ('nodeVersions' in type) return type.currentVersion;
	const { version } = type.description;
	return Array.isArray(version) ? version[version.length - 1] : version;
}

function defaultName(type: INodeType | IVersionedNodeType): string {
	const { description } = 'nodeVersions' in type ? type.nodeVersions[type.currentVersion] : type;
	return (description.defaults?.name as string | undefined) ?? description.displayName;
}

function toError(recorded: unknown): Error | undefined {
	if (!recorded) return undefined;
	if (recorded instanceof Error) return recorded;
	const { message, ...rest } = recorded as { message?: string } & IDataObject;
	return Object.assign(new Error(message ?? 'Unknown error'), rest);
}

export async function runNode(opts: RunOptions): Promise<RunResult> {
	const executionId = opts.executionId ?? randomUUID();
	const workflowId = opts.workflowId ?? `harness-${executionId}`;
	const mode: WorkflowExecuteMode = 'manual';

	const packaged = opts.from === 'dist' ? await loadPackageFromDist() : undefined;
	const nodeTypes = new HarnessNodeTypes({
		...(packaged ? packaged.nodeTypes : sourceNodeTypes()),
		...testOnlyNodeTypes(),
	});
	const credentialTypes = new HarnessCredentialTypes(
		packaged ? packaged.credentialTypes : sourceCredentialTypes(),
	);
	const credentialsHelper = new HarnessCredentialsHelper(credentialTypes, opts.credentials ?? {});

	const nodeType = nodeTypes.getByName(opts.nodeType);
	const nodeName = opts.nodeSettings?.name ?? defaultName(nodeType);
	const nodeUnderTest: INode = {
		id: randomUUID(),
		name: nodeName,
		type: opts.nodeType,
		typeVersion: latestVersion(nodeType),
		position: [250, 0],
		parameters: structuredClone(opts.parameters),
		...(opts.credentials && {
			credentials: Object.fromEntries(
				Object.keys(opts.credentials).map((type) => [
					type,
					{ id: `cred-${type}`, name: `${type} (harness)` },
				]),
			),
		}),
		...opts.nodeSettings,
	};
	const sourceNode: INode = {
		id: randomUUID(),
		name: SOURCE_NODE_NAME,
		type: FIXTURE_SOURCE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: { fixtureKey: executionId },
	};
	const workflowData: IWorkflowBase = {
		id: workflowId,
		name: `Harness: ${opts.nodeType}`,
		active: false,
		isArchived: false,
		activeVersionId: null,
		createdAt: new Date(),
		updatedAt: new Date(),
		nodes: [sourceNode, nodeUnderTest],
		connections: {
			[SOURCE_NODE_NAME]: {
				[NodeConnectionTypes.Main]: [
					[{ node: nodeName, type: NodeConnectionTypes.Main, index: 0 }],
				],
			},
		},
		settings: { executionOrder: 'v1' },
	};
	const workflow = new Workflow({
		id: workflowId,
		name: workflowData.name,
		nodes: workflowData.nodes,
		connections: workflowData.connections,
		active: false,
		nodeTypes,
		settings: workflowData.settings,
	});

	await useBinaryMode(opts.binaryMode ?? 'default');
	stageFixtures(executionId, opts.items);

	const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowData);
	const additionalData = baseAdditionalData(credentialsHelper, executionId, workflowId);
	additionalData.hooks = hooks;

	const startedAt = Date.now();
	const execution = new WorkflowExecute(additionalData, mode).run({
		workflow,
		startNode: sourceNode,
	});

	let cancelTimer: NodeJS.Timeout | undefined;
	let graceTimer: NodeJS.Timeout | undefined;
	let cancelled = false;
	const graceExpired = new Promise<never>((_, reject) => {
		if (opts.abortAfterMs === undefined) return;
		cancelTimer = setTimeout(() => {
			cancelled = true;
			// As n8n's "stop execution": aborts this.getExecutionCancelSignal() for the running node.
			execution.cancel();
			const graceMs = opts.cancelGraceMs ?? 10_000;
			graceTimer = setTimeout(
				() =>
					reject(
						new Error(
							`"${nodeName}" was still running ${graceMs} ms after the execution was cancelled`,
						),
					),
				graceMs,
			);
		}, opts.abortAfterMs);
	});

	let run: IRun;
	try {
		run = await Promise.race([execution, graceExpired]);
	} finally {
		clearTimeout(cancelTimer);
		clearTimeout(graceTimer);
		dropFixtures(executionId);
	}
	const durationMs = Date.now() - startedAt;

	const tasks = run.data.resultData.runData[nodeName] ?? [];
	const lastTask = tasks[tasks.length - 1];
	const outputs = (lastTask?.data?.[NodeConnectionTypes.Main] ?? []).map((output) => output ?? []);
	const recordedError = lastTask?.error ?? run.data.resultData.error;
	const error = recordedError
		? toError(nodeTypes.thrown[nodeTypes.thrown.length - 1] ?? recordedError)
		: undefined;

	return { items: outputs[0] ?? [], outputs, error, run, durationMs, cancelled };
}

/** Reads back an item's binary data whichever mode stored it. */
export async function readBinary(item: INodeExecutionData, property = 'data'): Promise<Buffer> {
	const binary = item.binary?.[property];
	if (!binary) throw new UnexpectedError(`Item has no binary property "${property}"`);
	if (binary.id) return await Container.get(BinaryDataService).getAsBuffer(binary);
	return Buffer.from(binary.data, BINARY_ENCODING);
}

/**
 * Runs a credential type's own `test` request as n8n's CredentialsTester does: a throwaway
 * declarative node whose only property routes that request, executed by n8n-core's RoutingNode,
 * so `baseURL`/`url` expressions, the credential's `authenticate` and the real request helper
 * all apply. Failures map to the message n8n shows in the credential dialog.
 */
export async function testCredential(
	credentialType: string,
	data: ICredentialDataDecryptedObject,
): Promise<{ status: 'OK' | 'Error'; message: string }> {
	const credentialTypes = new HarnessCredentialTypes(sourceCredentialTypes());
	const { test } = credentialTypes.getByName(credentialType);
	if (!test) return { status: 'Error', message: 'No testing function found for this credential.' };

	const credentialsHelper = new HarnessCredentialsHelper(credentialTypes, {
		[credentialType]: data,
	});
	const additionalData = baseAdditionalData(
		credentialsHelper,
		randomUUID(),
		'harness-credential-test',
	);
	const mode: WorkflowExecuteMode = 'internal';

	let credentialsDecrypted: ICredentialsDecrypted;
	try {
		credentialsDecrypted = {
			id: 'harness-credential',
			name: `${credentialType} (harness)`,
			type: credentialType,
			data: await credentialsHelper.applyDefaults(additionalData, data, credentialType, mode),
		};
	} catch (error) {
		return { status: 'Error', message: String((error as Error).message) };
	}

	const testNodeType: INodeType = {
		description: {
			displayName: 'Credential Test',
			name: 'n8n-nodes-base.noOp',
			group: [],
			version: 1,
			description: '',
			defaults: {},
			inputs: [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			credentials: [{ name: credentialType, required: true }],
			properties: [
				{
					displayName: 'Temp',
					name: 'temp',
					type: 'string',
					routing: { request: test.request },
					default: '',
				},
			],
		},
	};
	const node: INode = {
		id: 'temp',
		name: 'Temp-Node',
		type: testNodeType.description.name,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: {
			[credentialType]: { id: credentialsDecrypted.id, name: credentialsDecrypted.name },
		},
	};
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: new HarnessNodeTypes({ [node.type]: testNodeType }),
	});
	const runExecutionData: IRunExecutionData = createRunExecutionData({
		resultData: { runData: {} },
	});
	const executeData: IExecuteData = { node, data: {}, source: null };
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		mode,
		runExecutionData,
		0,
		[],
		{ main: [[{ json: {} }]] },
		executeData,
		[],
	);

	let response: INodeExecutionData[][] | undefined;
	try {
		response = await new RoutingNode(context, testNodeType, credentialsDecrypted).runNode();
	} catch (caught) {
		const error = caught as Error & {
			cause?: { code?: string; response?: { status: number; statusText?: string } };
		};
		const httpResponse = error.cause?.response;
		if (httpResponse) {
			for (const rule of test.rules ?? []) {
				if (rule.type === 'responseCode' && httpResponse.status === rule.properties.value) {
					return { status: 'Error', message: rule.properties.message };
				}
			}
			if (httpResponse.status < 199 || httpResponse.status > 299) {
				return {
					status: 'Error',
					message: httpResponse.statusText || `Received HTTP status code: ${httpResponse.status}`,
				};
			}
		} else if (error.cause?.code) {
			return { status: 'Error', message: error.cause.code };
		}
		return { status: 'Error', message: String(error.message) };
	}

	for (const rule of test.rules ?? []) {
		if (rule.type !== 'responseSuccessBody') continue;
		const body = response?.[0]?.[0]?.json ?? {};
		const value = rule.properties.key
			.split('.')
			.reduce<unknown>((at, key) => (at as IDataObject)?.[key], body);
		if (value === rule.properties.value)
			return { status: 'Error', message: rule.properties.message };
	}
	return { status: 'OK', message: 'Connection successful!' };
}

/**
 * Loads the built package the way n8n loads an installed community package: the real
 * PackageDirectoryLoader reads package.json's `n8n` section and requires the files under dist/.
 */
export async function loadPackageFromDist(directory = projectRoot): Promise<LoadedPackage> {
	const packageJson = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
		n8n?: { nodes?: string[]; credentials?: string[] };
	};
	const listed = [...(packageJson.n8n?.nodes ?? []), ...(packageJson.n8n?.credentials ?? [])];
	const missing = listed.filter((file) => !existsSync(join(directory, file)));
	if (listed.length === 0 || missing.length > 0) {
		throw new Error(
			`The built package is incomplete (missing: ${missing.join(', ') || 'an "n8n" section'}): run npm run build first`,
		);
	}

	const loader = new PackageDirectoryLoader(directory);
	await loader.loadAll();
	const nodeTypes: LoadedPackage['nodeTypes'] = {};
	for (const [name, { type }] of Object.entries(loader.nodeTypes)) {
		nodeTypes[`${loader.packageName}.${name}`] = type;
	}
	const credentialTypes: LoadedPackage['credentialTypes'] = {};
	for (const [name, { type }] of Object.entries(loader.credentialTypes)) {
		credentialTypes[name] = type;
	}
	return { packageName: loader.packageName, directory, loader, nodeTypes, credentialTypes };
}
