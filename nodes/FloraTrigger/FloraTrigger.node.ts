import type {
	IExecuteFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { NO_WEBHOOK_REGISTRATION } from '../Flora/helpers/callbacks';
import { DEFAULT_TOLERANCE_SECONDS } from '../Flora/helpers/signature';
import { handleDelivery, recordDeliveries } from './webhook';

export class FloraTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Flora Trigger',
		name: 'floraTrigger',
		icon: { light: 'file:flora.svg', dark: 'file:flora.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ ($parameter["events"] || []).join(", ") }}',
		description: "Starts the workflow when FLORA calls back about a run's end",
		defaults: { name: 'Flora Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'floraApi', required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'flora',
			},
		],
		eventTriggerDescription: 'Waiting for FLORA to call the Test URL',
		activationMessage:
			"FLORA now calls this workflow for runs started with this trigger's Production URL as their callback URL.",
		properties: [
			{
				displayName:
					"FLORA has no webhook settings: runs report to the callback URL they were started with. Paste this trigger's Production URL (above) into the Callback URL option of a Flora node's Generate or Run Technique operation, or send it as callback_url from any FLORA client. The Flora API credential needs the workspace's Webhook Secret.",
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				options: [
					{
						name: 'Run Completed',
						value: 'run.completed',
						description: 'A generation or technique run finished with its outputs',
					},
					{
						name: 'Run Failed',
						value: 'run.failed',
						description: 'A run ended with an error (error_code, error_message)',
					},
				],
				default: ['run.completed', 'run.failed'],
				description:
					'Which run endings start the workflow; others are acknowledged to FLORA and start nothing',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Download Outputs',
						name: 'downloadOutputs',
						type: 'boolean',
						default: false,
						description:
							"Whether to download a completed run's media outputs into binary properties data, data_1, … (in output order; text outputs stay in the JSON). Reads the run even with Fetch Run off. FLORA waits for the answer while the files download: keep this off for long videos and download them in the workflow instead.",
					},
					{
						displayName: 'Fetch Run',
						name: 'fetchRun',
						type: 'boolean',
						default: true,
						description:
							'Whether to output the full run as FLORA reports it (status, outputs with their URLs, cost) instead of the bare event, which carries no outputs. Costs one API request per event.',
					},
					{
						displayName: 'Signature Tolerance (Seconds)',
						name: 'toleranceSeconds',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: DEFAULT_TOLERANCE_SECONDS,
						description:
							"How far the Flora-Signature timestamp may be from this server's clock, either way. Older deliveries are refused as possible replays.",
					},
				],
			},
		],
	};

	// Nothing to register with FLORA on activation (see NO_WEBHOOK_REGISTRATION).
	webhookMethods = NO_WEBHOOK_REGISTRATION;

	async webhook(this: IWebhookFunctions) {
		return await handleDelivery.call(this);
	}

	// n8n runs a start node's execute() with what webhook() returned: see recordDeliveries.
	async execute(this: IExecuteFunctions) {
		return await recordDeliveries.call(this);
	}
}
