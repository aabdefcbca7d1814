import { locatorValue, searchFilter, workspaceLocator } from '../../helpers/descriptions';
import { validateWorkspaceId } from '../../helpers/validation';
import { filterQuery, getManyOperation } from '../getMany';

export const { description, prepare, execute } = getManyOperation({
	resource: 'project',
	fields: [
		{
			...workspaceLocator,
			description:
				'FLORA workspace whose projects to list (FLORA lists projects per workspace). Pick it from the list, or give its ID (starts with ws_, e.g. ws_abc123).',
		},
	],
	filters: [searchFilter('Only projects whose name contains this text')],
	request: (context, itemIndex, filters) => ({
		path: '/projects',
		property: 'projects',
		qs: {
			workspace_id: validateWorkspaceId(
				context,
				itemIndex,
				locatorValue(context.getNodeParameter('workspace', itemIndex)),
			),
			...filterQuery(context, itemIndex, filters),
		},
	}),
});
