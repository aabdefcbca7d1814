import { startSimulator } from './index';
import { DEFAULT_WORKSPACES } from './store';
import type { Simulator, SimulatorOptions } from './types';

const USAGE = `Usage: npm run simulator -- [options]

  --api-port <n>      API port (default: random)
  --upload-port <n>   upload host port (default: random)
  --host <addr>       bind address (default 127.0.0.1)
  --key <key>         API key to accept (repeatable; default sk_live_simulator)
  --latency <ms>      latency added to every API call
  --url-polls <n>     polls before a URL-source asset settles (default 2)
  --signed-polls <n>  polls after complete before a signed upload is ready (default 0)
  --upload-style <form|put>  signed upload style (default form)
  --upload-shape <snake|camel|both>  naming of the upload object (default snake)
  --cdn-port <n>      CDN origin port: run outputs and asset files (default: random)
  --run-ms <n>        how long a run takes, pending to completed (default 4000)
  --large-output-bytes <n>  size of the large output (default 536870912)
  --callback-backoff-ms <n> first retry delay of a run callback (default 1000)
  --webhook-secret <ws_id=whsec_…>  webhook secret of a workspace (repeatable)
  --asset-urls <imagekit|cdn>  asset url shape; cdn makes them downloadable (default imagekit)
  --direct-refusal <404|405|415|invalid_json|source_required>  refuse the direct multipart POST /assets
  --quiet             no request log
  -h, --help`;

function parseArgs(argv: string[]): SimulatorOptions {
	const opts: SimulatorOptions = {};
	const keys: string[] = [];
	const num = (flag: string, v: string | undefined): number => {
		const n = Number(v);
		if (v === undefined || !Number.isFinite(n) || n < 0)
			throw new Error(`${flag} needs a non-negative number`);
		return n;
	};
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const [flag, inline] = arg.includes('=')
			? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
			: [arg, undefined];
		const value = () => inline ?? argv[++i];
		switch (flag) {
			case '--api-port':
				opts.apiPort = num(flag, value());
				break;
			case '--upload-port':
				opts.uploadPort = num(flag, value());
				break;
			case '--host':
				opts.host = value();
				break;
			case '--key':
				keys.push(value());
				break;
			case '--latency':
				opts.latencyMs = num(flag, value());
				break;
			case '--url-polls':
				opts.urlReadyAfterPolls = num(flag, value());
				break;
			case '--signed-polls':
				opts.signedReadyAfterPolls = num(flag, value());
				break;
			case '--direct-refusal': {
				const v = value();
				opts.directRefusal = (/^\d+$/.test(v) ? Number(v) : v) as SimulatorOptions['directRefusal'];
				break;
			}
			case '--upload-style':
				opts.signedUploadStyle = value() as SimulatorOptions['signedUploadStyle'];
				break;
			case '--upload-shape':
				opts.uploadShape = value() as SimulatorOptions['uploadShape'];
				break;
			case '--cdn-port':
				opts.cdnPort = num(flag, value());
				break;
			case '--run-ms':
				opts.runDurationMs = num(flag, value());
				break;
			case '--large-output-bytes':
				opts.largeOutputBytes = num(flag, value());
				break;
			case '--callback-backoff-ms':
				opts.callbackBackoffMs = num(flag, value());
				break;
			case '--webhook-secret': {
				const v = value() ?? '';
				const eq = v.indexOf('=');
				if (eq < 1) throw new Error('--webhook-secret needs ws_id=whsec_…');
				opts.webhookSecrets = { ...opts.webhookSecrets, [v.slice(0, eq)]: v.slice(eq + 1) };
				break;
			}
			case '--asset-urls':
				opts.assetUrlStyle = value() as SimulatorOptions['assetUrlStyle'];
				break;
			case '--quiet':
				opts.quiet = true;
				break;
			case '-h':
			case '--help':
				console.log(USAGE);
				return process.exit(0);
			default:
				throw new Error(`unknown option ${arg}\n\n${USAGE}`);
		}
	}
	if (keys.length) opts.apiKeys = keys;
	return opts;
}

async function main(): Promise<void> {
	let opts: SimulatorOptions;
	try {
		opts = parseArgs(process.argv.slice(2));
	} catch (e) {
		console.error(e instanceof Error ? e.message : String(e));
		process.exit(2);
	}
	const sim = await startSimulator(opts);
	let seen = 0;
	const logTimer = opts.quiet
		? undefined
		: setInterval(() => {
				for (const r of sim.record.requests.slice(seen)) {
					if (r.status === 'pending') break;
					seen++;
					const ms = r.endedAt !== undefined ? r.endedAt - r.startedAt : 0;
					console.log(
						`${r.origin.padEnd(8)} ${r.method.padEnd(6)} ${r.path} -> ${r.status} (${ms} ms)${r.fault ? ` [fault ${r.fault}]` : ''}`,
					);
				}
				if (seen > sim.record.requests.length) seen = sim.record.requests.length;
			}, 200);

	console.log(`FLORA API simulator
  API base URL     ${sim.apiBaseUrl}
  upload origin    ${sim.uploadOrigin}   (${sim.uploadUrl})
  redirect origin  ${sim.redirectOrigin}
  CDN origin       ${sim.cdnOrigin}   (run outputs and asset files, no key)
  API key          ${sim.apiKey}
  webhook secrets  ${Object.entries(secretsOf(sim, opts))
		.map(([ws, s]) => `${ws}=${s}`)
		.join('  ')}

Credential (FLORA API): API Key = ${sim.apiKey}, Base URL = ${sim.apiBaseUrl}, Webhook Secret = ${sim.webhookSecret}

Control API (no auth):
  curl ${sim.apiOrigin}/__sim/record
  curl ${sim.apiOrigin}/__sim/assets
  curl -X POST ${sim.apiOrigin}/__sim/faults -d '{"target":"api","path":"/assets","kind":"status","status":429,"retryAfter":"1"}'
  curl -X DELETE ${sim.apiOrigin}/__sim/faults
  curl -X POST ${sim.apiOrigin}/__sim/reset
  curl -X POST ${sim.apiOrigin}/__sim/configure -d '{"latencyMs":200}'
  curl ${sim.apiOrigin}/__sim/info
  curl ${sim.apiOrigin}/__sim/runs
  curl -X POST ${sim.apiOrigin}/__sim/run-faults -d '{"kind":"fail","code":"GPU_PROVIDER_ERROR"}'
  curl -X POST ${sim.apiOrigin}/__sim/callback-faults -d '{"kind":"duplicate"}'
  curl -X POST ${sim.apiOrigin}/__sim/cdn-faults -d '{"kind":"reset","afterBytes":65536}'

Ctrl-C to stop.`);

	let closing = false;
	const stop = async () => {
		if (closing) return;
		closing = true;
		if (logTimer) clearInterval(logTimer);
		await sim.close();
		console.log('simulator stopped');
		process.exit(0);
	};
	process.on('SIGINT', () => void stop());
	process.on('SIGTERM', () => void stop());
}

function secretsOf(sim: Simulator, opts: SimulatorOptions): Record<string, string> {
	const workspaces = opts.workspaces ?? DEFAULT_WORKSPACES;
	return Object.fromEntries(
		workspaces.map((w) => [w.workspace_id, sim.gen.webhookSecret(w.workspace_id)]),
	);
}

void main();
