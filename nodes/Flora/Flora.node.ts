import type { IExecuteFunctions, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as asset from './actions/asset';
import { router } from './actions/router';
import { searchProjects, searchWorkspaces } from './methods/listSearch';

export class Flora implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Flora',
		name: 'flora',
		icon: { light: 'file:flora.svg', dark: 'file:flora.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Upload images, video, audio and PDFs to FLORA as assets, and get or list them',
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
				options: [{ name: 'Asset', value: 'asset' }],
				default: 'asset',
			},
			...asset.description,
		],
	};

	methods = {
		listSearch: { searchWorkspaces, searchProjects },
	};

	async execute(this: IExecuteFunctions) {
		return await router.call(this);
	}
}
