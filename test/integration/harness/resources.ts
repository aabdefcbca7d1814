/**
 * Shared set-up for the workflow tests of the project, run, technique and model operations:
 * data made through the simulator's API (not through the node), and what the node then sent.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import type { RecordedRequest, Simulator } from '../../simulator';
import { Client } from '../../simulator/testkit';
import type { FloraRun } from './flora';
import { runFlora } from './flora';
import type { RunResult } from './index';

/** An expression reading the item's `v`, so each item can carry its own value. */
export const itemValue = '={{ $json.v }}';

/** Runs the node on `resource` and gives back only the requests it sent. */
export async function runResource(
	sim: Simulator,
	resource: string,
	parameters: IDataObject,
	extra: Omit<FloraRun, 'parameters'> = {},
): Promise<RunResult & { requests: RecordedRequest[] }> {
	const before = sim.record.requests.length;
	const result = await runFlora(sim, {
		...extra,
		parameters: { resource, ...parameters } as INodeParameters,
	});
	return { ...result, requests: sim.record.requests.slice(before) };
}

export const calls = (requests: RecordedRequest[]) => requests.map((r) => `${r.method} ${r.path}`);

export function itemIndexOf(error: unknown): number | undefined {
	return (error as { context?: { itemIndex?: number } })?.context?.itemIndex;
}

export function descriptionOf(error: unknown): string {
	return String((error as { description?: string })?.description);
}

/** Projects the simulator seeded for a workspace, in FLORA's order. */
export async function projectsOf(sim: Simulator, workspaceId = 'ws_demo'): Promise<IDataObject[]> {
	const answer = await new Client(sim).get(`/projects?workspace_id=${workspaceId}&limit=100`);
	return answer.json.projects as IDataObject[];
}

/** Starts `n` image generations in a project through the API; their run IDs, oldest first. */
export async function startGenerations(
	sim: Simulator,
	n: number,
	target: { workspace_id?: string; project_id?: string } = {},
): Promise<string[]> {
	const client = new Client(sim);
	const workspaceId = target.workspace_id ?? 'ws_demo';
	const projectId = target.project_id ?? String((await projectsOf(sim, workspaceId))[0].project_id);
	const ids: string[] = [];
	for (let i = 0; i < n; i++) {
		const answer = await client.post('/generate', {
			type: 'image',
			prompt: `test image ${i}`,
			workspace_id: workspaceId,
			project_id: projectId,
		});
		if (answer.status !== 201) throw new Error(`generate failed: ${answer.status} ${answer.text}`);
		ids.push(String(answer.json.run_id));
	}
	return ids;
}

/** Starts `n` runs of the Caption Writer technique through the API; their run IDs, oldest first. */
export async function startCaptionRuns(sim: Simulator, n: number): Promise<string[]> {
	const client = new Client(sim);
	const ids: string[] = [];
	for (let i = 0; i < n; i++) {
		const answer = await client.post('/techniques/tech_caption_writer/runs', {
			workspace_id: 'ws_demo',
			inputs: [{ id: 'brief', type: 'text', value: `brief ${i}` }],
		});
		if (answer.status !== 201) throw new Error(`run failed: ${answer.status} ${answer.text}`);
		ids.push(String(answer.json.run_id));
	}
	return ids;
}

/** One page of a list, as FLORA would answer it, for a fault that replaces the real answer. */
export function page(sim: Simulator, path: string, body: IDataObject, skip = 0) {
	sim.inject({ target: 'api', method: 'GET', path, kind: 'status', status: 200, body, skip });
}

/** The run failed with FLORA's 404 as a FloraApiError: message, code, request ID, item 0. */
export function expectNotFound(
	result: RunResult & { requests: RecordedRequest[] },
	message: string,
): void {
	expect(result.error?.constructor.name).toBe('FloraApiError');
	expect(result.error?.message).toBe(message);
	const description = descriptionOf(result.error);
	expect(description).toContain('FLORA answered 404 not_found.');
	expect(description).toContain(`Request ID: ${result.requests[0].requestId}.`);
	expect(itemIndexOf(result.error)).toBe(0);
}
