import { expect } from 'chai';
import { MalformedEventError } from '../../rules/runtime/errors';
import { parseConfigRuleEvent, parseConfigurationItem } from '../../rules/runtime/event';
import { changeEvent, kinesisItemApiStyle, kinesisItemEventStyle, loadReference, scheduledEvent } from '../helpers/fixtures';

function malformed(event: unknown): string {
  try {
    parseConfigRuleEvent(event);
  } catch (e) {
    expect(e).to.be.instanceOf(MalformedEventError);
    return (e as Error).message;
  }
  throw new Error('expected MalformedEventError');
}

describe('runtime/event', () => {
  it('parses the three official example events', () => {
    for (const [file, type] of [
      ['event.ConfigurationItemChangeNotification.json', 'ConfigurationItemChangeNotification'],
      ['event.OversizedConfigurationItemChangeNotification.json', 'OversizedConfigurationItemChangeNotification'],
      ['event.ScheduledNotification.json', 'ScheduledNotification'],
    ] as const) {
      const parsed = parseConfigRuleEvent(loadReference(`C-config-items-and-events/aws-docs/${file}`));
      expect(parsed.invokingEvent.messageType).to.equal(type);
      expect(parsed.ruleParameters).to.deep.equal({ myParameterKey: 'myParameterValue' });
    }
  });

  it('parses the real captured scheduled event, which has no version key problems', () => {
    const parsed = parseConfigRuleEvent(loadReference('C-config-items-and-events/cloud-custodian-real-captures/poll-evaluation.json'));
    expect(parsed.accountId).to.equal('644160558196');
    expect(parsed.invokingEvent.messageType).to.equal('ScheduledNotification');
  });

  it('reads an event-style configuration item (ARN, awsAccountId, configuration object)', () => {
    const parsed = parseConfigRuleEvent(changeEvent(kinesisItemEventStyle({ name: 'vitals' })));
    if (parsed.invokingEvent.messageType !== 'ConfigurationItemChangeNotification') throw new Error('wrong type');
    const ci = parsed.invokingEvent.configurationItem;
    expect(ci.accountId).to.equal('123456789012');
    expect(ci.arn).to.equal('arn:aws:kinesis:us-east-1:123456789012:stream/vitals');
    expect(ci.configuration).to.deep.include({ Name: 'vitals' });
    expect(ci.captureTime.toISOString()).to.equal('2022-07-21T12:54:37.664Z');
  });

  it('reads the real API-style item (arn, accountId, configuration as a JSON string)', () => {
    const ci = parseConfigurationItem(kinesisItemApiStyle(), 'test');
    expect(ci.accountId).to.equal('644160558196');
    expect(ci.arn).to.equal('arn:aws:kinesis:us-east-1:644160558196:stream/stream-encrypted');
    expect(ci.configuration).to.deep.include({ StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' } });
    expect(ci.tags).to.deep.equal({ App: 'Magic' });
  });

  it('rejects an item whose configuration string is not JSON, naming the field', () => {
    const item = { ...kinesisItemApiStyle(), configuration: '{oops' };
    expect(() => parseConfigurationItem(item, 'GetResourceConfigHistory')).to.throw(
      MalformedEventError,
      'Malformed configuration item from GetResourceConfigHistory: configurationItem.configuration: expected an object or a JSON string.',
    );
  });

  const cases: { name: string; event: () => unknown; message: string }[] = [
    { name: 'invokingEvent that is not JSON', event: () => ({ ...scheduledEvent(), invokingEvent: '{not json' }), message: 'event.invokingEvent: expected a JSON string' },
    {
      name: 'unknown messageType',
      event: () => ({ ...scheduledEvent(), invokingEvent: JSON.stringify({ messageType: 'ConfigurationSnapshotDeliveryCompleted' }) }),
      message: 'event.invokingEvent.messageType: unknown message type. Expected one of: ConfigurationItemChangeNotification, OversizedConfigurationItemChangeNotification, ScheduledNotification',
    },
    {
      name: 'change notification without configurationItem',
      event: () => ({ ...scheduledEvent(), invokingEvent: JSON.stringify({ messageType: 'ConfigurationItemChangeNotification' }) }),
      message: 'event.invokingEvent.configurationItem: Invalid input: expected object, received undefined',
    },
    { name: 'missing resultToken', event: () => ({ ...scheduledEvent(), resultToken: undefined }), message: 'event.resultToken: Invalid input: expected string, received undefined' },
    { name: 'bad accountId', event: () => ({ ...scheduledEvent(), accountId: '12' }), message: 'event.accountId: expected a 12-digit account ID' },
    {
      name: 'item with an unknown status',
      event: () => changeEvent(kinesisItemEventStyle({ status: 'Gone' })),
      message: 'event.invokingEvent.configurationItem.configurationItemStatus',
    },
    { name: 'not an object', event: () => 'hello', message: 'event: Invalid input: expected object, received string' },
  ];
  for (const c of cases) {
    it(`rejects ${c.name} with a message naming the field`, () => {
      expect(malformed(c.event())).to.contain(c.message);
    });
  }
});
