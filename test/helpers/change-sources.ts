import { CHANGE_SOURCES, type ChangeSource } from '../../rules/triggers/change-sources';

/**
 * Test-only change sources, so the templates are checked with more than one source whatever CHANGE_SOURCES holds.
 * Kinesis here is made up for the test (Config records Kinesis streams; the pack needs no trigger for them): it is
 * served because the catalog has a safeguard of its type. Widgets has none, so every template leaves it out.
 */
export const TEST_KINESIS: ChangeSource = {
  id: 'kinesis-test',
  source: 'aws.kinesis',
  eventSource: 'kinesis.amazonaws.com',
  eventNames: ['StartStreamEncryption', 'StopStreamEncryption'],
  resourceTypes: ['AWS::Kinesis::Stream'],
};
export const TEST_WIDGETS: ChangeSource = {
  id: 'widgets',
  source: 'aws.widgets',
  eventSource: 'widgets.amazonaws.com',
  eventNames: ['CreateWidget'],
  resourceTypes: ['AWS::Widgets::Widget'],
};
export const TEST_CHANGE_SOURCES: readonly ChangeSource[] = [...CHANGE_SOURCES, TEST_KINESIS, TEST_WIDGETS];
