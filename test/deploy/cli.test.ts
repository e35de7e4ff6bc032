import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { expect } from 'chai';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { main } from '../../scripts/cli';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'];

describe('safeguards deploy-org and deploy (CLI)', () => {
  let sts: AwsClientStub<STSClient>;
  const mocks = () => {
    sts = mockClient(STSClient);
    return [sts, mockClient(OrganizationsClient), mockClient(S3Client), mockClient(CloudFormationClient), mockClient(ConfigServiceClient)];
  };
  let all: ReturnType<typeof mocks>;
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    all = mocks();
    saved = Object.fromEntries(CREDENTIAL_VARIABLES.map((k) => [k, process.env[k]]));
  });
  afterEach(() => {
    for (const m of all) m.restore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('deploy-org --dry-run needs no credentials, calls nothing and prints the plan on stdout', async () => {
    // Arrange: no credentials at all
    for (const k of CREDENTIAL_VARIABLES) delete process.env[k];
    // Act
    const { code, out } = await run(['deploy-org', '--delegated-admin', '999999999999', '--regions', 'us-east-1,eu-west-1', '--ou', 'ou-ab12-cdefgh34', '--dry-run']);
    // Assert
    expect(code).to.equal(0);
    expect(out.split('\n')[0]).to.equal('safeguards deploy-org plan (stage prod)');
    expect(out).to.include(' 1. Check that the credentials are the delegated administrator\'s (999999999999)');
    expect(out).to.match(/cloudformation:CreateStackInstances\s+account 999999999999 {2}region us-east-1/);
    for (const m of all) expect(m.calls()).to.have.length(0);
  });

  it('deploy-org --exemption-approvers --dry-run shows the exemption SCP step and its approvers, and calls nothing', async () => {
    for (const k of CREDENTIAL_VARIABLES) delete process.env[k];
    const approver = 'arn:aws:iam::999999999999:role/security/ExemptionApprover';
    const { code, out } = await run([
      'deploy-org', '--delegated-admin', '999999999999', '--regions', 'us-east-1', '--ou', 'ou-ab12-cdefgh34', '--exemption-approvers', ` ${approver}, `, '--dry-run',
    ]);
    expect(code).to.equal(0);
    expect(out).to.include(`  exemption SCP hipaa-safeguards-prod-exemption-tags on ou-ab12-cdefgh34; exemption approvers ${approver}\n`);
    expect(out).to.include(` 3. Govern exemptions: service control policy hipaa-safeguards-prod-exemption-tags attached to ou-ab12-cdefgh34; only ${approver} may change hipaa-safeguards:exempt* tags`);
    expect(out).to.match(/organizations:AttachPolicy\s+account 999999999999 {2}region global {2}\(only when not yet attached to ou-ab12-cdefgh34/);
    for (const m of all) expect(m.calls()).to.have.length(0);
  });

  it('deploy-org exits 2 naming --exemption-approvers when an approver is a session ARN', async () => {
    const session = 'arn:aws:sts::999999999999:assumed-role/ExemptionApprover/alice';
    const { code, err } = await run(['deploy-org', '--delegated-admin', '999999999999', '--regions', 'us-east-1', '--ou', 'ou-ab12-cdefgh34', '--exemption-approvers', session, '--dry-run']);
    expect(code).to.equal(2);
    expect(err).to.match(new RegExp(`^Error: --exemption-approvers: "${session}" is an STS session ARN`));
  });

  it('deploy-org --prevention-mode FAIL --dry-run shows the hook package, its uploads and the StackSet parameters, and calls nothing', async () => {
    for (const k of CREDENTIAL_VARIABLES) delete process.env[k];
    const { code, out } = await run([
      'deploy-org', '--delegated-admin', '999999999999', '--regions', 'us-east-1,eu-west-1', '--ou', 'ou-ab12-cdefgh34', '--prevention-mode', 'FAIL', '--prevention-on-unknown', 'ALLOW', '--dry-run',
    ]);
    expect(code).to.equal(0);
    expect(out).to.include("  prevention: the spokes' CloudFormation hook FAIL (unknown: ALLOW)");
    expect(out).to.include('--param=mode=single --param=preventionMode=FAIL --param=preventionOnUnknown=ALLOW');
    expect(out.match(/prod\/hook\/cloudformation-hook-<sha256>\.zip: the spokes' hook Lambda code in/g)).to.have.length(2);
    expect(out).to.include('PreventionMode=FAIL, PreventionOnUnknown=ALLOW, HookCodeBucketPrefix=awsconfigconforms-hipaa-safeguards-999999999999');
    for (const m of all) expect(m.calls()).to.have.length(0);
  });

  it('deploy-org --dry-run without --prevention-mode says the hook is OFF', async () => {
    const { code, out } = await run(['deploy-org', '--delegated-admin', '999999999999', '--regions', 'us-east-1', '--ou', 'ou-ab12-cdefgh34', '--dry-run']);
    expect(code).to.equal(0);
    expect(out).to.include('  prevention: OFF, no CloudFormation hook in the spokes (pass --prevention-mode FAIL or WARN)');
    expect(out).to.not.include('--param=mode=single');
  });

  it('deploy-org exits 2 naming the flag when --prevention-mode or --prevention-on-unknown is not a choice', async () => {
    const base = ['deploy-org', '--delegated-admin', '999999999999', '--regions', 'us-east-1', '--ou', 'ou-ab12-cdefgh34', '--dry-run'];
    const mode = await run([...base, '--prevention-mode', 'ON']);
    expect(mode.code).to.equal(2);
    expect(mode.err).to.equal('Error: --prevention-mode "ON" is not one of: FAIL, WARN, OFF.\n');
    const unknown = await run([...base, '--prevention-mode', 'WARN', '--prevention-on-unknown', 'IGNORE']);
    expect(unknown.code).to.equal(2);
    expect(unknown.err).to.equal('Error: --prevention-on-unknown "IGNORE" is not one of: BLOCK, ALLOW.\n');
    const alone = await run([...base, '--prevention-on-unknown', 'ALLOW']);
    expect(alone.code).to.equal(2);
    expect(alone.err).to.include('--prevention-on-unknown needs --prevention-mode FAIL or WARN');
  });

  it('deploy --dry-run prints the single-account plan', async () => {
    const { code, out } = await run(['deploy', '--region', 'eu-west-1', '--account', '123456789012', '--stage', 'qa', '--dry-run']);
    expect(code).to.equal(0);
    expect(out).to.include('safeguards deploy plan (stage qa)');
    expect(out).to.match(/s3:PutObject\s+account 123456789012 {2}region eu-west-1 {2}\(qa\/conformance-packs\//);
    for (const m of all) expect(m.calls()).to.have.length(0);
  });

  describe('--import-security-hub-findings', () => {
    const orgArgs = ['deploy-org', '--delegated-admin', '999999999999', '--regions', 'us-east-1', '--ou', 'ou-ab12-cdefgh34', '--dry-run'];
    const singleArgs = ['deploy', '--region', 'eu-west-1', '--account', '123456789012', '--dry-run'];
    const cases = [
      { command: 'deploy', argv: singleArgs, stackSet: false },
      { command: 'deploy-org', argv: orgArgs, stackSet: true },
    ];
    for (const c of cases) {
      it(`${c.command} --dry-run shows the option on: in the summary, the serverless parameter${c.stackSet ? ' and the spoke StackSet parameter' : ''}`, async () => {
        // Arrange
        for (const k of CREDENTIAL_VARIABLES) delete process.env[k];
        // Act
        const { code, out } = await run([...c.argv, '--import-security-hub-findings']);
        // Assert
        expect(code).to.equal(0);
        expect(out).to.include('\n  Security Hub import: on (rule roles may import findings to this account\'s own product and set Workflow.Status to RESOLVED');
        const slsLines = out.split('\n').filter((l) => /command:sls (package|deploy)/.test(l) && l.includes('--param='));
        expect(slsLines.length).to.be.above(0);
        for (const l of slsLines) expect(l).to.include('--param=importSecurityHubFindings=true');
        if (c.stackSet) expect(out).to.match(/cloudformation:(Create|Update)StackSet .*ImportSecurityHubFindings=true/);
        for (const m of all) expect(m.calls()).to.have.length(0);
      });

      it(`${c.command} --dry-run without the flag says the import is off and grants nothing`, async () => {
        for (const k of CREDENTIAL_VARIABLES) delete process.env[k];
        const { code, out } = await run(c.argv);
        expect(code).to.equal(0);
        expect(out).to.include('\n  Security Hub import: off (no role may write to Security Hub; pass --import-security-hub-findings to allow it)\n');
        expect(out).to.not.include('importSecurityHubFindings=true');
        if (c.stackSet) expect(out).to.match(/cloudformation:CreateStackSet .*ImportSecurityHubFindings=false/);
      });
    }

    it('is refused with a value (it is a switch, not an option that takes true or false)', async () => {
      const { code, err } = await run([...singleArgs, '--import-security-hub-findings', 'true']);
      expect(code).to.equal(2);
      expect(err).to.include("too many arguments for 'deploy'");
    });
  });

  it('exits 2 with a message naming the bad input', async () => {
    const bad = await run(['deploy-org', '--delegated-admin', '12345', '--regions', 'us-east-1', '--ou', 'ou-ab12-cdefgh34', '--dry-run']);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.equal('Error: --delegated-admin "12345" is not a 12-digit account ID.\n');
    const missing = await run(['deploy-org', '--delegated-admin', '999999999999', '--regions', 'us-east-1']);
    expect(missing.code).to.equal(2);
    expect(missing.err).to.include("required option '--ou <id>' not specified");
  });

  it('exits 2 and changes nothing when the credentials are of another account', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111', Arn: 'arn:aws:sts::111111111111:assumed-role/Dev/me' });
    const { code, err } = await run(['deploy-org', '--delegated-admin', '999999999999', '--regions', 'us-east-1', '--ou', 'ou-ab12-cdefgh34']);
    expect(code).to.equal(2);
    expect(err).to.include('Error: The credentials are of account 111111111111');
    for (const m of all.slice(1)) expect(m.calls()).to.have.length(0);
  });
});
