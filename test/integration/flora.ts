/** Shared set-up for the Flora node's workflow tests: one simulator per test file. */
import { createHash } from 'node:crypto';

import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { startSimulator } from '../simulator';
import type { Simulator, SimulatorOptions } from '../simulator';
import type { BinaryMode, FixtureItem, RunResult } from './harness';
import { runNode } from './harness';

export const FLORA_TYPE = 'n8n-nodes-flora.flora';

export async function useSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
	return await startSimulator({ quiet: true, ...options });
}

export interface FloraRun {
	parameters: INodeParameters;
	items?: FixtureItem[];
	binaryMode?: BinaryMode;
	nodeSettings?: Partial<INode>;
	apiKey?: string;
	abortAfterMs?: number;
	executionId?: string;
	workflowId?: string;
	/** 'dist' runs the built package: its own module state, as in another n8n process. */
	from?: 'sources' | 'dist';
	/** Credential Base URL; the simulator's by default. */
	baseUrl?: string;
}

export async function runFlora(sim: Simulator, run: FloraRun): Promise<RunResult> {
	return await runNode({
		nodeType: FLORA_TYPE,
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
	return { __rl: true, mode: 'id', value: id };
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

export function sha256(data: Buffer | string): string {
	return createHash('sha256').update(data).digest('hex');
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
