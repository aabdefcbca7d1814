/**
 * Runs: pending → running → completed | failed over a set duration, with rising progress,
 * injected failures and runs that never end. Outputs become CDN files when a run completes.
 */
import { randomBytes } from 'node:crypto';
import type { Model, Technique } from './catalog';
import type { Cdn } from './cdn';
import type {
	CallbackFault,
	RecordedRun,
	RecordedRunOutput,
	RunFault,
	RunMatch,
	RunStatus,
	RunType,
} from './generative-types';

export const ERROR_MESSAGES: Record<string, string> = {
	GENERATION_PROVIDER_TIMEOUT: 'The model provider did not answer in time.',
	GPU_PROVIDER_ERROR: 'The GPU provider failed while generating.',
	GENERATION_PROMPT_MODERATED: 'The prompt was flagged by content moderation.',
	BILLING_NOT_ENOUGH_CREDITS: 'Not enough credits to finish this run.',
	GENERATION_CANCELLED: 'The run was cancelled.',
};

/** Faults that apply to the next matching runs (skip, then times). */
export class MatchQueue<T extends RunMatch> {
	private queue: Array<{ fault: T; skipped: number; used: number }> = [];

	add(fault: T): void {
		if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times >= 1))
			throw new Error('times must be >= 1');
		if (fault.skip !== undefined && !(Number.isInteger(fault.skip) && fault.skip >= 0))
			throw new Error('skip must be >= 0');
		this.queue.push({ fault, skipped: 0, used: 0 });
	}

	clear(): void {
		this.queue = [];
	}

	list(): T[] {
		return this.queue.map((q) => q.fault);
	}

	take(run: { runType: RunType; model?: string; technique?: string }): T | undefined {
		for (const q of this.queue) {
			const f = q.fault;
			if (f.runType && f.runType !== run.runType) continue;
			if (f.model && f.model !== run.model) continue;
			if (f.technique && f.technique !== run.technique) continue;
			if (q.skipped < (f.skip ?? 0)) {
				q.skipped++;
				continue;
			}
			q.used++;
			if (q.used >= (f.times ?? 1)) this.queue.splice(this.queue.indexOf(q), 1);
			return f;
		}
		return undefined;
	}
}

export interface RunState {
	seq: number;
	rec: RecordedRun;
	generation_id?: string;
	model?: Model;
	technique?: Technique;
	prompt?: string;
	params: Record<string, unknown>;
	startAt: number;
	endAt: number;
	fault?: RunFault;
	callbackFault?: CallbackFault;
	/** Reads show `running` until then (early-callback fault). */
	visibleEndAt?: number;
	progressAtEnd: number;
	timers: NodeJS.Timeout[];
	poll_url: string;
}

export interface RunSpec {
	runType: RunType;
	workspace_id: string;
	project_id: string | null;
	model?: Model;
	technique?: Technique;
	prompt?: string;
	params?: Record<string, unknown>;
	callback_url?: string;
	idempotency_key?: string;
	body_idempotency_key?: string;
	charged_cost: number;
}

export interface RunHooks {
	durationMs(spec: RunSpec): number;
	pendingShare(): number;
	largeOutputBytes(): number;
	apiBaseUrl(): string;
	/** Called once when a run ends (completed or failed). */
	ended(run: RunState): void;
}

export class RunEngine {
	readonly runs = new Map<string, RunState>();
	readonly runFaults = new MatchQueue<RunFault>();
	readonly callbackFaults = new MatchQueue<CallbackFault>();
	private seq = 0;

	constructor(
		private readonly record: RecordedRun[],
		private readonly cdn: Cdn,
		private readonly hooks: RunHooks,
	) {}

	reset(): void {
		for (const r of this.runs.values()) r.timers.forEach(clearTimeout);
		this.runs.clear();
		this.runFaults.clear();
		this.callbackFaults.clear();
		this.seq = 0;
	}

	create(spec: RunSpec): RunState {
		const now = Date.now();
		const hex = randomBytes(12).toString('hex');
		const duration = Math.max(0, this.hooks.durationMs(spec));
		const match = {
			runType: spec.runType,
			model: spec.model?.model_id,
			technique: spec.technique?.technique_id,
		};
		const fault = this.runFaults.take(match);
		const callbackFault = spec.callback_url ? this.callbackFaults.take(match) : undefined;
		const rec: RecordedRun = {
			run_id: `run_${hex}`,
			run_type: spec.runType,
			workspace_id: spec.workspace_id,
			project_id: spec.project_id,
			...(spec.model ? { model_id: spec.model.model_id } : {}),
			...(spec.technique ? { technique_id: spec.technique.technique_id } : {}),
			...(spec.idempotency_key ? { idempotency_key: spec.idempotency_key } : {}),
			...(spec.body_idempotency_key ? { body_idempotency_key: spec.body_idempotency_key } : {}),
			...(spec.callback_url ? { callback_url: spec.callback_url } : {}),
			duration_ms: duration,
			created_at: now,
			timeline: [{ status: 'pending', at: now }],
			status: 'pending',
			charged_cost: spec.charged_cost,
			outputs: [],
			...(fault ? { fault: fault.kind } : {}),
			polls: 0,
		};
		const run: RunState = {
			seq: ++this.seq,
			rec,
			...(spec.runType === 'generation' ? { generation_id: `gen_${hex}` } : {}),
			model: spec.model,
			technique: spec.technique,
			prompt: spec.prompt,
			params: spec.params ?? {},
			startAt: now + Math.round(duration * this.hooks.pendingShare()),
			endAt: now + duration,
			fault,
			callbackFault,
			progressAtEnd: 1,
			timers: [],
			poll_url:
				spec.runType === 'generation'
					? `${this.hooks.apiBaseUrl()}/runs/${rec.run_id}`
					: `${this.hooks.apiBaseUrl()}/techniques/${spec.technique!.technique_id}/runs/${rec.run_id}`,
		};
		this.runs.set(rec.run_id, run);
		this.record.push(rec);
		this.schedule(run);
		return run;
	}

	private schedule(run: RunState): void {
		const at = (t: number, fn: () => void) => {
			const timer = setTimeout(fn, Math.max(0, t - Date.now()));
			timer.unref?.();
			run.timers.push(timer);
		};
		const f = run.fault;
		const failDuring =
			f?.kind === 'fail'
				? (f.during ?? (f.code === 'BILLING_NOT_ENOUGH_CREDITS' ? 'pending' : 'running'))
				: undefined;
		if (f?.kind === 'fail' && failDuring === 'pending') {
			at(run.rec.created_at + (run.startAt - run.rec.created_at) / 2, () =>
				this.fail(run, f.code, f.message),
			);
			return;
		}
		at(run.startAt, () => this.transition(run, 'running'));
		if (f?.kind === 'hang') return;
		at(run.endAt, () => {
			if (f?.kind === 'fail') this.fail(run, f.code, f.message);
			else this.complete(run);
		});
	}

	private transition(run: RunState, status: RunStatus): void {
		if (run.rec.status === status) return;
		run.rec.status = status;
		run.rec.timeline.push({ status, at: Date.now() });
	}

	private isOver(run: RunState): boolean {
		return run.rec.status === 'completed' || run.rec.status === 'failed';
	}

	fail(run: RunState, code: string, message?: string): void {
		if (this.isOver(run)) return;
		run.timers.forEach(clearTimeout);
		run.progressAtEnd = this.progress(run);
		run.rec.error_code = code;
		run.rec.error_message = message ?? ERROR_MESSAGES[code] ?? `Run failed: ${code}`;
		run.rec.charged_cost = 0;
		this.transition(run, 'failed');
		this.hooks.ended(run);
	}

	complete(run: RunState): void {
		if (this.isOver(run)) return;
		run.timers.forEach(clearTimeout);
		if (run.rec.status === 'pending') this.transition(run, 'running');
		run.rec.outputs = this.outputs(run);
		run.progressAtEnd = 1;
		this.transition(run, 'completed');
		this.hooks.ended(run);
	}

	private outputs(run: RunState): RecordedRunOutput[] {
		const id = () => `out_${randomBytes(8).toString('hex')}`;
		const media = (
			type: RecordedRunOutput['type'],
			kind: 'png' | 'mp4' | 'wav' | 'pdf' | 'large',
			variant: number,
		): RecordedRunOutput => {
			const output_id = id();
			const file = this.cdn.addOutput(
				run.rec.run_id,
				output_id,
				kind,
				variant,
				this.hooks.largeOutputBytes(),
			);
			return { output_id, type, url: file.url, file };
		};
		if (run.model) {
			switch (run.model.type) {
				case 'image': {
					const n = typeof run.params.num_images === 'number' ? run.params.num_images : 1;
					return Array.from({ length: n }, (_, i) => media('imageUrl', 'png', i));
				}
				case 'video':
					return [media('videoUrl', 'mp4', 0)];
				case 'audio':
					return [media('audioUrl', 'wav', 0)];
				case 'text':
					return [
						{
							output_id: id(),
							type: 'text',
							url: `Generated by ${run.model.name}: ${run.prompt ?? ''}`.trim(),
						},
					];
			}
		}
		const t = run.technique!;
		return t.outputs.map((o, i) => {
			switch (o.type) {
				case 'imageUrl':
					return media('imageUrl', 'png', i);
				case 'videoUrl':
					return media('videoUrl', t.technique_id === 'tech_video_upscale' ? 'large' : 'mp4', i);
				case 'audioUrl':
					return media('audioUrl', 'wav', i);
				case 'documentUrl':
					return media('documentUrl', 'pdf', i);
				default:
					return { output_id: id(), type: 'text' as const, url: `${o.name} from ${t.name}` };
			}
		});
	}

	private progress(run: RunState): number {
		const now = Date.now();
		if (run.rec.status === 'pending') return 0;
		if (this.isOver(run)) return run.progressAtEnd;
		const span = Math.max(1, run.endAt - run.startAt);
		const cap = run.fault?.kind === 'hang' ? 0.95 : 0.99;
		return Math.min(cap, Math.max(0.01, Math.round(((now - run.startAt) / span) * 100) / 100));
	}

	/** What GET /runs/{id} answers (an early-callback fault keeps it `running` a while). */
	view(run: RunState) {
		const r = run.rec;
		const hidden = run.visibleEndAt !== undefined && Date.now() < run.visibleEndAt;
		const status: RunStatus = hidden ? 'running' : r.status;
		const started = r.timeline.find((e) => e.status === 'running')?.at;
		const ended = r.timeline.find((e) => e.status === 'completed' || e.status === 'failed')?.at;
		return {
			run_id: r.run_id,
			type: r.run_type,
			status,
			progress: hidden ? 0.99 : this.progress(run),
			created_at: r.created_at,
			...(started !== undefined ? { started_at: started } : {}),
			...(!hidden && ended !== undefined ? { completed_at: ended } : {}),
			...(!hidden && r.error_code
				? { error_code: r.error_code, error_message: r.error_message }
				: {}),
			...(!hidden && this.isOver(run) ? { charged_cost: r.charged_cost } : {}),
			...(!hidden && r.status === 'completed'
				? { outputs: r.outputs.map(({ output_id, type, url }) => ({ output_id, type, url })) }
				: {}),
			poll_url: run.poll_url,
		};
	}
}
