import type { IDataObject } from 'n8n-workflow';

import type { RunStartRequest } from '../../../nodes/Flora/transport/idempotency';
import {
	idempotencyKey,
	matchStartedRuns,
	rememberCreated,
	timeMs,
} from '../../../nodes/Flora/transport/idempotency';
import type { IExecuteFunctions } from 'n8n-workflow';

const since = Date.UTC(2026, 0, 1, 12, 0, 0);
const generation: RunStartRequest = {
	runKind: 'generation',
	workspaceId: 'ws_a',
	projectId: 'prj_a',
	type: 'image',
	model: 'flux',
	prompt: 'a vase',
};
const run = (id: string, extra: IDataObject = {}): IDataObject => ({
	run_id: id,
	created_at: since + 1000,
	workspace_id: 'ws_a',
	project_id: 'prj_a',
	model: { model_id: 'flux' },
	...extra,
});
const none = () => false;

describe('Finding the run a lost start request made', () => {
	it('reads FLORA times as seconds, milliseconds or ISO text', () => {
		expect(timeMs(1767268800)).toBe(1767268800000);
		expect(timeMs(1767268800123)).toBe(1767268800123);
		expect(timeMs('2026-01-01T12:00:00.000Z')).toBe(since);
		expect(timeMs('soon')).toBeUndefined();
	});

	it('keeps only runs of the same project and model created after the first try', () => {
		const runs = [
			run('run_new'),
			run('run_old', { created_at: since - 1 }),
			run('run_other_model', { model: { model_id: 'sdxl' } }),
			run('run_other_project', { project_id: 'prj_b' }),
			run('run_other_prompt', { prompt: 'a chair' }),
			run('run_video', { type: 'video' }),
		];
		expect(matchStartedRuns(runs, generation, since, none).map((r) => r.run_id)).toEqual([
			'run_new',
		]);
	});

	it('leaves out runs another key of this process already claimed', () => {
		const runs = [run('run_mine'), run('run_theirs')];
		const claimed = (id: string) => id === 'run_theirs';
		expect(matchStartedRuns(runs, generation, since, claimed).map((r) => r.run_id)).toEqual([
			'run_mine',
		]);
	});

	it('uses the process memory of claimed runs by default', () => {
		rememberCreated('other-key', 'run_claimed_unit');
		expect(matchStartedRuns([run('run_claimed_unit')], generation, since)).toEqual([]);
	});

	it('with two look-alike runs (two items, one prompt) finds both, so nothing is guessed', () => {
		expect(matchStartedRuns([run('run_1'), run('run_2')], generation, since, none)).toHaveLength(2);
	});

	it('matches technique runs by technique', () => {
		const request: RunStartRequest = {
			runKind: 'technique',
			workspaceId: 'ws_a',
			techniqueId: 'tech_x',
		};
		const runs = [
			run('run_x', { technique_id: 'tech_x', project_id: null }),
			run('run_y', { technique_id: 'tech_y' }),
		];
		expect(matchStartedRuns(runs, request, since, none).map((r) => r.run_id)).toEqual(['run_x']);
	});
});

describe('Keys of the run starts', () => {
	const context = {
		getInstanceId: () => 'i',
		getExecutionId: () => 'e1',
		getWorkflow: () => ({ id: 'wf' }),
		getNode: () => ({ id: 'n' }),
		getWorkflowDataProxy: () => ({ $runIndex: 0 }),
	} as unknown as IExecuteFunctions;

	it('keep a user key stable across executions and items, and scope binary inputs apart', () => {
		const otherExecution = {
			...context,
			getExecutionId: () => 'e2',
		} as unknown as IExecuteFunctions;
		expect(idempotencyKey(context, 0, 'generate', 'mine')).toBe(
			idempotencyKey(otherExecution, 3, 'generate', 'mine'),
		);
		expect(idempotencyKey(context, 0, 'technique-run', 'mine')).toBe(
			idempotencyKey(otherExecution, 3, 'technique-run', 'mine'),
		);
		expect(idempotencyKey(context, 0, 'generate', 'mine')).not.toBe(
			idempotencyKey(context, 0, 'technique-run', 'mine'),
		);
		const keys = [
			idempotencyKey(context, 0, 'generate'),
			idempotencyKey(context, 0, 'technique-run'),
			idempotencyKey(context, 0, 'input:a:create'),
			idempotencyKey(context, 0, 'input:b:create'),
			idempotencyKey(context, 0, 'input:a:create', 'mine'),
			idempotencyKey(context, 0, 'create'),
		];
		expect(new Set(keys).size).toBe(keys.length);
	});
});
