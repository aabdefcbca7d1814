import type {
	IExecuteFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as asset from './actions/asset';
import * as generation from './actions/generation';
import * as model from './actions/model';
import * as project from './actions/project';
import { router } from './actions/router';
import { NO_WEBHOOK_REGISTRATION } from './helpers/callbacks';
import { resumeOnRunCallback } from './helpers/webhookWait';
import * as run from './actions/run';
import * as technique from './actions/technique';
import { getModelParameters, getTechniqueInputs } from './methods/resourceMapping';
import {
	searchModels,
	searchProjects,
	searchTechniques,
	searchWorkspaces,
} from './methods/listSearch';

export class Flora implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Flora',
		name: 'flora',
		icon: { light: 'file:flora.svg', dark: 'file:flora.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description:
			'Upload files to FLORA as assets, generate images, video, audio and text, run techniques, and manage projects, runs and models',
		defaults: { name: 'Flora' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'floraApi', required: true }],
		// Wait Mode "Webhook": FLORA's signed run callback resumes the waiting execution here
		// (n8n's waiting-webhook URL of this execution plus the node ID; see helpers/webhookWait.ts).
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: '={{ $nodeId }}',
				restartWebhook: true,
				isFullPath: true,
			},
		],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Asset', value: 'asset' },
					{ name: 'Generation', value: 'generation' },
					{ name: 'Model', value: 'model' },
					{ name: 'Project', value: 'project' },
					{ name: 'Run', value: 'run' },
					{ name: 'Technique', value: 'technique' },
				],
				default: 'asset',
			},
			...asset.description,
			...generation.description,
			...model.description,
			...project.description,
			...run.description,
			...technique.description,
		],
	};

	methods = {
		listSearch: { searchWorkspaces, searchProjects, searchModels, searchTechniques },
		resourceMapping: { getModelParameters, getTechniqueInputs },
	};

	async execute(this: IExecuteFunctions) {
		return await router.call(this);
	}

	// The webhook above is a restart webhook, served only for a waiting execution.
	webhookMethods = NO_WEBHOOK_REGISTRATION;

	async webhook(this: IWebhookFunctions) {
		return await resumeOnRunCallback.call(this);
	}
}
