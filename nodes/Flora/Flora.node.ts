import type { IExecuteFunctions, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as asset from './actions/asset';
import * as generation from './actions/generation';
import * as model from './actions/model';
import * as project from './actions/project';
import { router } from './actions/router';
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
}
