import { expect } from 'chai';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import type { KinesisStream } from '../../rules/resources/kinesis-stream';
import { AwsClients } from '../../rules/runtime/clients';
import { MAX_ANNOTATION_LENGTH, fitAnnotation, markUserText, userText } from '../../rules/runtime/compliance';
import { judge, newJudgeContext } from '../../rules/runtime/judge';
import { parseParameters } from '../../rules/runtime/parameters';

describe('runtime/compliance fitAnnotation', () => {
  it('keeps a short annotation as it is', () => {
    expect(fitAnnotation('Stream a is encrypted. 45 CFR 164.312(a)(2)(iv)')).to.equal('Stream a is encrypted. 45 CFR 164.312(a)(2)(iv)');
  });

  it('cuts a long annotation to 256 characters and keeps the citation', () => {
    // Arrange
    const text = `Stream ${'x'.repeat(300)} is not encrypted at rest. 45 CFR 164.312(a)(2)(iv)`;
    // Act
    const fitted = fitAnnotation(text);
    // Assert
    expect(fitted).to.have.length(MAX_ANNOTATION_LENGTH);
    expect(fitted.endsWith('… 45 CFR 164.312(a)(2)(iv)')).to.equal(true);
    expect(fitted.startsWith('Stream xxx')).to.equal(true);
  });

  it('keeps several citations', () => {
    const fitted = fitAnnotation(`${'y'.repeat(400)} 45 CFR 164.312(a)(2)(iv), 45 CFR 164.312(e)(2)(ii)`);
    expect(fitted).to.have.length(MAX_ANNOTATION_LENGTH);
    expect(fitted.endsWith('… 45 CFR 164.312(a)(2)(iv), 45 CFR 164.312(e)(2)(ii)')).to.equal(true);
  });

  it('cuts text without a citation too', () => {
    expect(fitAnnotation('z'.repeat(1000))).to.have.length(MAX_ANNOTATION_LENGTH);
  });

  it('never returns an empty annotation (Config requires at least one character)', () => {
    expect(fitAnnotation('  ')).to.equal('-');
  });
});

describe('runtime/compliance structured annotations', () => {
  const CITE = '45 CFR 164.312(a)(2)(iv)';
  const NOW = new Date('2026-11-22T12:00:00Z');
  const stream = (o: Partial<KinesisStream>): KinesisStream => ({
    id: 'vitals',
    resourceType: 'AWS::Kinesis::Stream',
    name: 'vitals',
    encryptionType: 'NONE',
    encryptionField: 'EncryptionType',
    tags: {},
    ...o,
  });
  const ctx = newJudgeContext(new AwsClients({ region: 'us-east-1' }), NOW);
  const params = parseParameters(kinesisStreamEncrypted.schema, {});

  it('cuts only the user text and keeps the reason, the fix hint and the citation whole', () => {
    // Arrange
    const reason = ' is not encrypted at rest (EncryptionType NONE). Enable KMS server-side encryption. ';
    // Act
    const fitted = fitAnnotation(['Stream ', userText('n'.repeat(300)), reason, CITE]);
    // Assert
    expect(fitted).to.have.length(MAX_ANNOTATION_LENGTH);
    expect(fitted).to.match(/^Stream n+…/);
    expect(fitted.endsWith(`…${reason}${CITE}`)).to.equal(true);
  });

  it('shortens the longest user text first and each to no fewer than a dozen characters', () => {
    const fitted = fitAnnotation(['A ', userText('a'.repeat(200)), ' and B ', userText('b'.repeat(100)), ' end.']);
    expect(fitted).to.have.length(MAX_ANNOTATION_LENGTH);
    expect(fitted).to.include('b'.repeat(100));
  });

  it('marks every occurrence of a user text in a finished annotation', () => {
    expect(markUserText('Stream long-stream-name is late; long-stream-name again.', ['long-stream-name'])).to.deep.equal([
      'Stream ',
      { user: 'long-stream-name' },
      ' is late; ',
      { user: 'long-stream-name' },
      ' again.',
    ]);
  });

  it('keeps the exemption reason\'s sentence and citation when a long exemption tag value is cut (judge)', async () => {
    // Arrange: an exemption reason of 400 characters
    const s = stream({ tags: { 'hipaa-safeguards:exempt': `CHG-42 ${'because '.repeat(50)}` } });
    // Act
    const verdict = await judge(kinesisStreamEncrypted, s, params, ctx);
    // Assert
    expect(verdict.compliance).to.equal('NOT_APPLICABLE');
    expect(verdict.annotation).to.have.length.at.most(MAX_ANNOTATION_LENGTH);
    expect(verdict.annotation).to.match(/^Stream vitals is exempt by tag hipaa-safeguards:exempt \(CHG-42 because because .*…\)\. 45 CFR 164\.312\(a\)\(2\)\(iv\)$/);
  });

  it('keeps the reason of a verdict on a resource with a very long name, cutting the name (judge)', async () => {
    const name = `stream-${'x'.repeat(250)}`;
    const verdict = await judge(kinesisStreamEncrypted, stream({ id: name, name }), params, ctx);
    expect(verdict.annotation).to.have.length(MAX_ANNOTATION_LENGTH);
    expect(verdict.annotation).to.match(/^Stream stream-x+… is not encrypted at rest \(EncryptionType NONE\)\. Enable KMS server-side encryption\. 45 CFR 164\.312\(a\)\(2\)\(iv\)$/);
  });

  it('keeps a lapsed exemption\'s expiry and the verdict\'s reason when the reason tag is long (judge)', async () => {
    const s = stream({ tags: { 'hipaa-safeguards:exempt': 'r'.repeat(300), 'hipaa-safeguards:exempt-until': '2026-01-01' } });
    const verdict = await judge(kinesisStreamEncrypted, s, params, ctx);
    expect(verdict.compliance).to.equal('NON_COMPLIANT');
    expect(verdict.annotation).to.match(/^Exemption \(r+…\) expired 2026-01-01\. Stream vitals is not encrypted at rest \(EncryptionType NONE\)\. Enable KMS server-side encryption\. 45 CFR 164\.312\(a\)\(2\)\(iv\)$/);
  });
});
