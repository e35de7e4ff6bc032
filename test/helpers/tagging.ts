import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';

/** What AWS answers a caller without tag:GetResources: HTTP 403 AccessDeniedException. */
export function accessDenied(action = 'tag:GetResources'): Error {
  return Object.assign(new Error(`User is not authorized to perform: ${action}`), { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 403 } });
}

/**
 * The Resource Groups Tagging API mocked (aws-sdk-client-mock) for unit tests of listers whose service is mocked too:
 * refusing GetResources keeps a test on the per-resource tag calls it mocks. Restore it in afterEach.
 */
export type TaggingMock = ReturnType<typeof newTaggingMock>;
const newTaggingMock = () => mockClient(ResourceGroupsTaggingAPIClient);

export function taggingDenied(): TaggingMock {
  const tagging = newTaggingMock();
  tagging.on(GetResourcesCommand).rejects(accessDenied());
  return tagging;
}
