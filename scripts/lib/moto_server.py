"""moto server, with the Resource Groups Tagging API answering for the types the pack reads tags of in bulk.

Run as `python3 scripts/lib/moto_server.py -H 127.0.0.1 -p PORT` (scripts/lib/moto-server.ts does); it takes
moto.server's arguments. moto 5.2.1's GetResources (moto/resourcegroupstaggingapi/models.py) leaves out Kinesis data
streams and Kinesis video streams ("# Kinesis" is an empty section), answers Firehose only for the bare `firehose`
filter (not `firehose:deliverystream`), and knows ElastiCache only under its own type names
(`elasticache:cache_clusters`, `elasticache:replication-group`), not AWS's (`elasticache:cluster`,
`elasticache:replicationgroup`, as in the ARNs). On AWS, "The GetResources, GetTagKeys, and GetTagValues operations
support all resource types" (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html).
This answers those filters from moto's own stores, with AWS's semantics (only resources tagged now or before are
returned), without walking moto's other services (which costs about 0.2 s after each reset); everything else
(paging, other filters, authorization) stays moto's.
"""

import sys
from datetime import datetime, timezone

from urllib.parse import urlparse

from moto.core.authorization import ActionAuthenticatorMixin
from moto.elasticache.models import elasticache_backends
from moto.firehose.models import firehose_backends
from moto.kinesis.models import kinesis_backends
from moto.kafka import models as kafka_models
from moto.kinesisvideo.models import kinesisvideo_backends
from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
from moto.server import main

_original = ResourceGroupsTaggingAPIBackend._get_resources_generator


def _pairs(tags):
    return [{"Key": k, "Value": v} for k, v in (tags or {}).items()]


# AWS's type filter -> the (ARN, tags) of every such resource in moto's own stores.
_SOURCES = {
    "kinesis:stream": lambda a, r: ((s.arn, _pairs(s.tags)) for s in kinesis_backends[a][r].streams.values()),
    "kinesisvideo:stream": lambda a, r: ((s.arn, _pairs(s.tags)) for s in kinesisvideo_backends[a][r].streams.values()),
    "firehose:deliverystream": lambda a, r: (
        (d.delivery_stream_arn, firehose_backends[a][r].tagger.list_tags_for_resource(d.delivery_stream_arn)["Tags"])
        for d in firehose_backends[a][r].delivery_streams.values()
    ),
    "elasticache:replicationgroup": lambda a, r: (
        (g.arn, elasticache_backends[a][r].tagging_service.list_tags_for_resource(g.arn)["Tags"])
        for g in elasticache_backends[a][r].replication_groups.values()
    ),
    "elasticache:cluster": lambda a, r: (
        (c.arn, elasticache_backends[a][r].tagging_service.list_tags_for_resource(c.arn)["Tags"])
        for c in elasticache_backends[a][r].cache_clusters.values()
    ),
}


def _matches(tags, tag_filters):
    for f in tag_filters or []:
        values = f.get("Values") or []
        if not any(t["Key"] == f["Key"] and (not values or t["Value"] in values) for t in tags):
            return False
    return True


def _get_resources_generator(self, tag_filters=None, resource_type_filters=None):
    filters = list(resource_type_filters or [])
    ours = [f for f in filters if f in _SOURCES]
    # Filters moto knows itself (or none: everything) still go to moto's own answer, unchanged.
    if not filters or len(ours) < len(filters):
        yield from _original(self, tag_filters=tag_filters, resource_type_filters=[f for f in filters if f not in _SOURCES])
    for f in ours or (["kinesis:stream", "kinesisvideo:stream"] if not filters else []):
        for arn, tags in _SOURCES[f](self.account_id, self.region_name):
            # AWS returns only resources tagged now or before; never-tagged ones are absent.
            if tags and _matches(tags, tag_filters):
                yield {"ResourceARN": arn, "Tags": tags}


ResourceGroupsTaggingAPIBackend._get_resources_generator = _get_resources_generator


# moto 5.2.1's MSK clusters carry `creationTime` as datetime.now().isoformat(), with no UTC offset; the SDK v3 reads
# the model's __timestampIso8601 only with one (botocore's kafka/2018-11-14 model: CreationTime __timestampIso8601),
# so every ListClustersV2/DescribeClusterV2 answer failed to parse. Only that field is corrected: UTC, with a `Z`.
_original_cluster_init = kafka_models.FakeKafkaCluster.__init__


def _cluster_init(self, *args, **kwargs):
    _original_cluster_init(self, *args, **kwargs)
    self.creation_time = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


kafka_models.FakeKafkaCluster.__init__ = _cluster_init


# With IAM enforced, moto 5.2.1 verifies SigV4 against the decoded request path. An SDK signs the path as it sent it:
# a REST operation with an ARN in its path (MSK DescribeClusterV2 /api/v2/clusters/{clusterArn}, UpdateSecurity) is
# sent percent-encoded (arn%3Aaws%3Akafka...%2F...), so moto's signature never matched and every such call was
# refused (SignatureDoesNotMatch, 403) before any policy was read. The signature is checked here against the raw path
# (werkzeug's RAW_URI, which moto keeps as raw_path), for non-S3 services only (S3 signs its path unencoded).
_original_authorize = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _authorize_with_raw_path(self, iam_request_cls, resource="*"):
    raw = getattr(self, "raw_path", None)
    uri = getattr(self, "uri", None)
    if iam_request_cls.__name__ != "IAMRequest" or not raw or not uri:
        return _original_authorize(self, iam_request_cls, resource)
    parsed = urlparse(uri)
    if raw == parsed.path:
        return _original_authorize(self, iam_request_cls, resource)
    self.uri = parsed._replace(path=raw).geturl()
    try:
        return _original_authorize(self, iam_request_cls, resource)
    finally:
        self.uri = uri


ActionAuthenticatorMixin._authenticate_and_authorize_action = _authorize_with_raw_path


if __name__ == "__main__":
    main(sys.argv[1:])
