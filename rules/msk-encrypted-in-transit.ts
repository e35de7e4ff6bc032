import { compliant, nonCompliant } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import { mskClusterResource } from './resources/msk';

const CITATION = '45 CFR 164.312(e)(2)(ii)';

/**
 * Amazon MSK clusters accept only TLS from clients (ClientBroker TLS; TLS_PLAINTEXT still accepts plaintext) and
 * encrypt traffic between brokers (InCluster true).
 *
 * Serverless clusters have no plaintext listener: their API shape (`Serverless` in botocore's kafka/2018-11-14 model)
 * and AWS::MSK::ServerlessCluster carry no encryption setting at all, their only client authentication is SASL/IAM,
 * which MSK serves over TLS only ("If you turn on authentication using IAM ... you must also turn on encryption
 * between clients and brokers", https://docs.aws.amazon.com/msk/latest/developerguide/msk-update-security.html). The
 * MSK Developer Guide's serverless page (https://docs.aws.amazon.com/msk/latest/developerguide/serverless.html) says
 * MSK Serverless encrypts all traffic in transit; that page was not in the reference library, the model and schema were.
 *
 * Scenario 1: Given a serverless cluster, Then COMPLIANT.
 * Scenario 2: Given ClientBroker TLS_PLAINTEXT, PLAINTEXT or not reported, Then NON_COMPLIANT (the annotation adds
 *             InCluster false when that is wrong too).
 * Scenario 3: Given ClientBroker TLS and InCluster false or not reported, Then NON_COMPLIANT (recreate: InCluster
 *             cannot change after creation).
 * Scenario 4: Given ClientBroker TLS and InCluster true, Then COMPLIANT.
 */
export const mskEncryptedInTransit = defineSafeguard({
  name: 'msk-encrypted-in-transit',
  title: 'MSK clusters accept only TLS and encrypt traffic between brokers',
  description:
    'Checks that every Amazon MSK provisioned cluster sets client-broker encryption to TLS only (not TLS_PLAINTEXT or PLAINTEXT) and in-cluster encryption on; serverless clusters always use TLS.',
  resource: mskClusterResource,
  triggers: [Trigger.Change, Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {},
  // Manual: clients still on plaintext lose their connection when the cluster moves to TLS only; a person schedules it.
  remediation: {
    document: 'HIPAA-MSKEnforceClientBrokerTls',
    automatic: false,
    resourceIdParameter: 'ResourceId',
    maximumAutomaticAttempts: 1,
    retryAttemptSeconds: 600,
  },
  lookupActions: [],

  evaluate(cluster) {
    const name = cluster.kind === 'serverless' ? `MSK serverless cluster ${cluster.name}` : `MSK cluster ${cluster.name}`;
    if (cluster.kind === 'serverless') {
      // Scenario 1
      return compliant(`${name} accepts TLS only (always, for serverless clusters). ${CITATION}`);
    }
    const inClusterOff = cluster.inCluster !== true;
    const inClusterWord = cluster.inCluster === false ? 'InCluster false' : 'InCluster not reported';
    if (cluster.clientBroker !== 'TLS') {
      const broker = cluster.clientBroker ? `ClientBroker ${cluster.clientBroker}` : 'ClientBroker not reported';
      const also = inClusterOff ? ` Broker traffic is not encrypted either (${inClusterWord}): recreate the cluster.` : '';
      // Scenario 2
      return nonCompliant(`${name} accepts plaintext clients (${broker}). Move clients to TLS, then set ClientBroker TLS.${also} ${CITATION}`);
    }
    if (inClusterOff) {
      // Scenario 3
      return nonCompliant(`${name} does not encrypt traffic between brokers (${inClusterWord}). InCluster cannot change: recreate the cluster with InCluster true. ${CITATION}`);
    }
    // Scenario 4
    return compliant(`${name} accepts TLS only and encrypts traffic between brokers (ClientBroker TLS, InCluster true). ${CITATION}`);
  },
});

export const handler = /* @__PURE__ */ createRuleHandler(mskEncryptedInTransit);
