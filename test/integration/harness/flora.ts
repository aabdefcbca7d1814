/** Shared set-up for the Flora node's workflow tests: one simulator per test file. */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import type { Simulator } from '../../simulator';
import { locator, NODE_TYPE } from '../../shared/flora';
import type { BinaryMode, FixtureItem, RunResult } from './index';
import { runNode } from './index';

export { locator, sha256 } from '../../shared/flora';
export { simulatorForFile } from '../../shared/simulator';

export interface FloraRun {
	parameters: INodeParameters;
	items?: FixtureItem[];
	binaryMode?: BinaryMode;
	nodeSettings?: Partial<INode>;
	apiKey?: string;
	/** Credential Base URL; the simulator's API by default. */
	baseUrl?: string;
	abortAfterMs?: number;
	executionId?: string;
	workflowId?: string;
	/** 'dist' runs the built package: its own module state, as in another n8n process. */
	from?: 'sources' | 'dist';
}

export async function runFlora(sim: Simulator, run: FloraRun): Promise<RunResult> {
	return await runNode({
		nodeType: NODE_TYPE,
		parameters: { resource: 'asset', ...run.parameters },
		items: run.items ?? [{ json: {} }],
		binaryMode: run.binaryMode,
		nodeSettings: run.nodeSettings,
		abortAfterMs: run.abortAfterMs,
		executionId: run.executionId,
		workflowId: run.workflowId,
		from: run.from,
		credentials: {
			floraApi: { apiKey: run.apiKey ?? sim.apiKey, baseUrl: run.baseUrl ?? sim.apiBaseUrl },
		},
	});
}

export function workspace(id = 'ws_demo') {
	return locator(id);
}

export function createParams(extra: IDataObject = {}): INodeParameters {
	return {
		operation: 'create',
		workspace: workspace(),
		source: 'binary',
		binaryPropertyName: 'data',
		...extra,
	} as INodeParameters;
}

/**
 * Asset → Create on FLORA's signed upload (reserve, upload, complete) whatever
 * the file's size: Options → Single-Request Upload for Small Files off.
 */
export function signedCreateParams(extra: IDataObject = {}): INodeParameters {
	const options = (extra.options as IDataObject | undefined) ?? {};
	return createParams({ ...extra, options: { directUpload: false, ...options } });
}

/** Deterministic pseudo-random bytes, so failures reproduce. */
export function bytes(size: number, seed = 1): Buffer {
	const out = Buffer.allocUnsafe(size);
	let x = seed >>> 0 || 1;
	for (let i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out[i] = x & 0xff;
	}
	return out;
}

export function imageItem(
	data: Buffer,
	fileName = 'hero.png',
	mimeType = 'image/png',
): FixtureItem {
	return { json: { name: fileName }, binary: { data: { data, fileName, mimeType } } };
}

export function pairedIndexes(items: INodeExecutionData[]): number[] {
	return items.map((item) => {
		const paired = item.pairedItem as
			| { item: number }
			| Array<{ item: number }>
			| number
			| undefined;
		if (typeof paired === 'number') return paired;
		return Array.isArray(paired) ? paired[0].item : (paired?.item ?? -1);
	});
}

/** Requests the simulator saw on one origin (and path), in order. */
export function requestsTo(sim: Simulator, origin: 'api' | 'upload' | 'redirect', path?: RegExp) {
	return sim.record.requests.filter((r) => r.origin === origin && (!path || path.test(r.path)));
}

/** The simulator's n-th project of a workspace (its IDs are derived, not random). */
export function simProject(workspaceId = 'ws_demo', n = 0): string {
	return `prj_${createHash('sha1').update(`${workspaceId}:${n}`).digest('hex').slice(0, 20)}`;
}

/** Generation → Create in the simulator's first project of ws_demo. */
export function generationParams(extra: IDataObject = {}): INodeParameters {
	return {
		resource: 'generation',
		operation: 'create',
		workspace: workspace(),
		project: locator(simProject()),
		type: 'image',
		prompt: 'A ceramic vase on a sunlit table',
		...extra,
	} as INodeParameters;
}

/** Technique → Run in ws_demo. */
export function techniqueParams(
	technique: string,
	inputs: IDataObject,
	extra: IDataObject = {},
): INodeParameters {
	return {
		resource: 'technique',
		operation: 'run',
		workspace: workspace(),
		technique: locator(technique),
		inputs: mapped(inputs),
		...extra,
	} as INodeParameters;
}

/** A resource-mapper value as the editor saves it. */
export function mapped(value: IDataObject) {
	return {
		mappingMode: 'defineBelow',
		value,
		matchingColumns: [],
		schema: [],
		attemptToConvertTypes: false,
		convertFieldsToString: false,
	};
}

export { readBinary as readBinaryOf } from './index';

export interface SeenRequest {
	method: string;
	path: string;
	headers: Record<string, string | string[] | undefined>;
	/** The JSON body, parsed; undefined when there was none. */
	body: unknown;
	/** The body's bytes as they came over the wire. */
	raw: Buffer;
}

/**
 * A pass-through in front of the simulator's API that keeps every request body,
 * for assertions on what the node sent (the simulator records no bodies).
 */
export async function bodyRecorder(sim: Simulator) {
	const target = new URL(sim.apiOrigin);
	const seen: SeenRequest[] = [];
	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const raw = Buffer.concat(chunks);
			let body: unknown;
			try {
				body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
			} catch {
				body = raw.toString('utf8');
			}
			seen.push({
				method: req.method ?? '',
				path: req.url ?? '',
				headers: req.headers,
				body,
				raw,
			});
			const forward = httpRequest(
				{
					host: target.hostname,
					port: target.port,
					method: req.method,
					path: req.url,
					headers: { ...req.headers, host: target.host },
				},
				(answer) => {
					res.writeHead(answer.statusCode ?? 502, answer.headers);
					answer.pipe(res);
				},
			);
			forward.on('error', () => res.destroy());
			forward.end(raw);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		baseUrl: `http://127.0.0.1:${port}/api/v1`,
		seen,
		close: async () => {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
