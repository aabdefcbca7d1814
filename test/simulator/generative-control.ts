/** Control API of the generative side (no auth, not recorded, never faulted). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallbackFault, CdnFault, RunFault, RunStatus, RunType } from './generative-types';
import type { SimContext } from './store';

export const GEN_CONTROL_ENDPOINTS = [
	'GET /__sim/info (origins, API key, webhook secrets)',
	'GET /__sim/runs?status=&run_type=',
	'GET /__sim/runs/{run_id}',
	'POST /__sim/runs/{run_id}/finish {} or {"code":"GPU_PROVIDER_ERROR","message":"..."}',
	'POST /__sim/run-faults (RunFault or RunFault[])',
	'POST /__sim/callback-faults (CallbackFault or CallbackFault[])',
	'POST /__sim/cdn-faults (CdnFault or CdnFault[]; RegExp path as {"regex":"...","flags":""})',
	'GET /__sim/gen-faults',
	'GET /__sim/files?url=<CDN URL or path> (size, sha256, content_type, file_name)',
	'GET /__sim/webhook-secrets',
	'POST /__sim/webhook-secrets/rotate {"workspace_id":"ws_demo","secret":"whsec_..."}',
];

function send(res: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(text),
	});
	res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
	return new Promise((resolve, reject) => {
		const parts: Buffer[] = [];
		req.on('data', (c: Buffer) => parts.push(c));
		req.on('end', () => {
			const text = Buffer.concat(parts).toString('utf8').trim();
			try {
				resolve(text ? JSON.parse(text) : {});
			} catch {
				reject(new Error('invalid JSON'));
			}
		});
		req.on('error', reject);
	});
}

function list<T>(body: unknown): T[] {
	return (Array.isArray(body) ? body : [body]) as T[];
}

/** True when the route was one of these and has been answered. */
export async function handleGenerativeControl(
	ctx: SimContext,
	route: string,
	req: IncomingMessage,
	res: ServerResponse,
	url: URL,
): Promise<boolean> {
	const g = ctx.gen.controls();
	const runMatch = /^(GET|POST) \/__sim\/runs\/([^/]+)(\/finish)?$/.exec(route);
	if (runMatch) {
		const id = decodeURIComponent(runMatch[2]);
		if (runMatch[1] === 'GET' && !runMatch[3]) {
			const r = g.run(id);
			send(res, r ? 200 : 404, r ?? { error: `no run ${id}` });
			return true;
		}
		if (runMatch[1] === 'POST' && runMatch[3]) {
			const body = (await readJson(req)) as { code?: string; message?: string };
			send(
				res,
				200,
				g.finishRun(id, body.code ? { code: body.code, message: body.message } : undefined),
			);
			return true;
		}
	}
	switch (route) {
		case 'GET /__sim/info':
			send(res, 200, {
				api_base_url: `${ctx.origins.api}/api/v1`,
				api_origin: ctx.origins.api,
				upload_origin: ctx.origins.upload,
				redirect_origin: ctx.origins.redirect,
				cdn_origin: ctx.gen.cdn.origin,
				api_key: ctx.opts.apiKeys[0],
				webhook_secrets: secrets(ctx),
			});
			return true;
		case 'GET /__sim/runs': {
			const status = url.searchParams.get('status') as RunStatus | null;
			const runType = url.searchParams.get('run_type') as RunType | null;
			send(res, 200, {
				runs: g.runs({ ...(status ? { status } : {}), ...(runType ? { runType } : {}) }),
			});
			return true;
		}
		case 'POST /__sim/run-faults': {
			const faults = list<RunFault>(await readJson(req));
			faults.forEach((f) => g.injectRunFault(f));
			send(res, 200, { queued: faults.length });
			return true;
		}
		case 'POST /__sim/callback-faults': {
			const faults = list<CallbackFault>(await readJson(req));
			faults.forEach((f) => g.injectCallbackFault(f));
			send(res, 200, { queued: faults.length });
			return true;
		}
		case 'POST /__sim/cdn-faults': {
			const faults = list<CdnFault & { path?: unknown }>(await readJson(req)).map((f) => {
				const p = f.path as { regex?: unknown; flags?: unknown } | string | undefined;
				if (p && typeof p === 'object') {
					if (typeof p.regex !== 'string') throw new Error('path.regex must be a string');
					return {
						...f,
						path: new RegExp(p.regex, typeof p.flags === 'string' ? p.flags : undefined),
					};
				}
				return f;
			});
			faults.forEach((f) => g.injectCdnFault(f as CdnFault));
			send(res, 200, { queued: faults.length });
			return true;
		}
		case 'GET /__sim/gen-faults': {
			const f = ctx.gen.listFaults();
			send(res, 200, {
				...f,
				cdn: f.cdn.map((c) =>
					c.path instanceof RegExp
						? { ...c, path: { regex: c.path.source, flags: c.path.flags } }
						: c,
				),
			});
			return true;
		}
		case 'GET /__sim/files': {
			const u = url.searchParams.get('url');
			if (!u) {
				send(res, 400, { error: 'url is required' });
				return true;
			}
			send(res, 200, await g.file(u));
			return true;
		}
		case 'GET /__sim/webhook-secrets':
			send(res, 200, { webhook_secrets: secrets(ctx) });
			return true;
		case 'POST /__sim/webhook-secrets/rotate': {
			const body = (await readJson(req)) as { workspace_id?: string; secret?: string };
			const previous = g.rotateWebhookSecret(body.workspace_id, body.secret);
			send(res, 200, { previous, current: g.webhookSecret(body.workspace_id) });
			return true;
		}
	}
	return false;
}

function secrets(ctx: SimContext): Record<string, string> {
	return Object.fromEntries(
		ctx.opts.workspaces.map((w) => [w.workspace_id, ctx.gen.webhookSecret(w.workspace_id)]),
	);
}
