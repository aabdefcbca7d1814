import { projectLocator, searchFilter, workspaceFilter } from '../../helpers/descriptions';
import { filterQuery, getManyOperation } from '../getMany';

export const { description, prepare, execute } = getManyOperation({
	resource: 'asset',
	filters: [
		workspaceFilter('Only assets of this workspace (ID starting with ws_)'),
		projectLocator({
			name: 'projectId',
			description:
				'Only assets of this project (ID starting with prj_). Set the Workspace filter first to pick from a list.',
		}),
		searchFilter('Only assets whose name contains this text'),
	],
	request: (context, itemIndex, filters) => ({
		path: '/assets',
		property: 'assets',
		qs: filterQuery(context, itemIndex, filters),
	}),
});
